import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asym, b64, claims, hs } from '../../test/utils/tokens.js';
import { peekIssuer } from './oidc-issuer.js';
import { TokenVerifier } from './token-verifier.js';

const SECRET = 'issuer-routing-secret-issuer-routing!!';
const A = 'https://a.example';

describe('peekIssuer (routing by the unverified `iss`)', () => {
  it.each([
    ['no issuer rule', hs(claims({ iss: A }), SECRET), undefined, undefined],
    ['a listed issuer', hs(claims({ iss: A }), SECRET), [A], 'payload'],
    ['another issuer', hs(claims({ iss: 'https://b.example' }), SECRET), [A], null],
    ['no iss', hs(claims(), SECRET), [A], null],
    ['an array iss', hs(claims({ iss: [A] }), SECRET), [A], null],
    ['a numeric iss', hs(claims({ iss: 1 }), SECRET), [A], null],
    ['two segments', 'a.b', [A], undefined],
    ['a payload that is not JSON', `${b64({ alg: 'HS256' })}.${b64('nope')}.sig`, [A], undefined],
    ['a JSON array payload', `${b64({ alg: 'HS256' })}.${b64([A])}.sig`, [A], undefined],
  ])('%s', (_, token, issuers, expected) => {
    const peeked = peekIssuer(token, issuers, 8192);
    if (expected === 'payload') expect(peeked).toMatchObject({ iss: A });
    else expect(peeked).toBe(expected);
  });

  it('decodes nothing past the length cap', () => {
    expect(peekIssuer(hs(claims({ iss: A, pad: 'x'.repeat(100) }), SECRET), [A], 50)).toBeUndefined();
  });
});

describe('TokenVerifier.verifyOwn: one JSON parse per segment, none on a cache hit', () => {
  afterEach(() => vi.restoreAllMocks());
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('a fresh token: header and payload parsed once each (the routing parse is reused); a cached one: nothing parsed', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'], issuer: A }, 'test');
    const token = hs(claims({ iss: A }), SECRET);
    const parse = vi.spyOn(JSON, 'parse');
    expect(verifier.verifyOwn(token)).toMatchObject({ payload: { iss: A } });
    expect(parse).toHaveBeenCalledTimes(2);
    parse.mockClear();
    for (let i = 0; i < 3; i++) expect(verifier.verifyOwn(token)).toMatchObject({ result: { userId: '42' } });
    expect(parse).not.toHaveBeenCalled();
  });

  it("another issuer's token: one parse, no signature work, `null`", () => {
    const verifier = new TokenVerifier({ publicKey: ec.publicKey, algorithms: ['ES256'], issuer: A }, 'test');
    // HS256 is not in this verifier's algorithms: it must not matter, the token is not its own.
    const parse = vi.spyOn(JSON, 'parse');
    expect(verifier.verifyOwn(hs(claims({ iss: 'https://b.example' }), SECRET))).toBeNull();
    expect(parse).toHaveBeenCalledTimes(1);
    expect(verifier.cachedTokens).toBe(0);
  });

  it('its own issuer with a bad signature: token_invalid, never cached', () => {
    const verifier = new TokenVerifier({ publicKey: ec.publicKey, algorithms: ['ES256'], issuer: A }, 'test');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = asym(claims({ iss: A }), other.privateKey, { alg: 'ES256' }, 'sha256', { dsaEncoding: 'ieee-p1363' });
    expect(() => verifier.verifyOwn(forged)).toThrow(expect.objectContaining({ code: 'token_invalid' }));
    expect(verifier.cachedTokens).toBe(0);
  });
});
