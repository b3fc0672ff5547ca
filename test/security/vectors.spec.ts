import { createPublicKey, createSecretKey } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JwtAuthentication } from '../../src/index.js';
import { verifySignature } from '../../src/jwt/jwt-algorithms.js';

// RFC 7515 Appendix A: the claims of A.1–A.3 expire at 1300819380.
const PAYLOAD = 'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';

const A1 = {
  token: `eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.${PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`,
  key: createSecretKey(Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url')),
};
const A2 = {
  token: `eyJhbGciOiJSUzI1NiJ9.${PAYLOAD}.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw`,
  key: createPublicKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: 'ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ',
      e: 'AQAB',
    },
  }),
};
const A3 = {
  token: `eyJhbGciOiJFUzI1NiJ9.${PAYLOAD}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q`,
  key: createPublicKey({
    format: 'jwk',
    key: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' },
  }),
};
// RFC 8037 Appendix A.4: the payload is the text "Example of Ed25519 signing", not a claims set.
const A4 = {
  token:
    'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
  key: createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } }),
};

/** Every token that differs from `token` in exactly one character, at the positions given. */
function mutations(token: string, positions: number[]): string[] {
  return positions.flatMap((i) => {
    const c = token[i]!;
    if (c === '.') return [];
    const swapped = c === 'A' ? 'B' : 'A';
    return [token.slice(0, i) + swapped + token.slice(i + 1)];
  });
}

const sample = (token: string): number[] => {
  const sig = token.lastIndexOf('.') + 1;
  const all = [...Array(token.length).keys()];
  // Every signature position but the last (whose low bits base64url may not carry), and every 3rd before it.
  return all.filter((i) => (i >= sig ? i < token.length - 1 : i % 3 === 0));
};

describe('known-answer vectors', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_300_819_000 * 1000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const cases = [
    ['RFC 7515 A.1 (HS256)', A1, new JwtAuthentication({ secret: A1.key, algorithms: ['HS256'] })],
    ['RFC 7515 A.2 (RS256)', A2, new JwtAuthentication({ publicKey: A2.key, algorithms: ['RS256'] })],
    ['RFC 7515 A.3 (ES256)', A3, new JwtAuthentication({ publicKey: A3.key, algorithms: ['ES256'] })],
  ] as const;

  it.each(cases)('%s verifies with its published key, inside its validity', (_name, vector, backend) => {
    expect(backend.verify(vector.token)).toMatchObject({ iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true });
  });

  it.each(cases)('%s fails when any one character changes', (_name, vector, backend) => {
    const variants = mutations(vector.token, sample(vector.token));
    expect(variants.length).toBeGreaterThan(40);
    for (const variant of variants) expect(() => backend.verify(variant), variant).toThrow();
  });

  it.each(cases)('%s is expired once its exp has passed', (_name, vector, backend) => {
    vi.setSystemTime(1_300_819_380 * 1000);
    expect(() => backend.verify(vector.token)).toThrow(expect.objectContaining({ code: 'token_expired' }));
  });

  it('RFC 8037 A.4 (Ed25519) verifies, and fails when any one signature or input character changes', () => {
    const verifies = (token: string): boolean => {
      const dot = token.lastIndexOf('.');
      return verifySignature('EdDSA', A4.key, token.slice(0, dot), Buffer.from(token.slice(dot + 1), 'base64url'));
    };
    expect(verifies(A4.token)).toBe(true);
    const variants = mutations(A4.token, sample(A4.token));
    expect(variants.length).toBeGreaterThan(40);
    for (const variant of variants) expect(verifies(variant), variant).toBe(false);
  });
});
