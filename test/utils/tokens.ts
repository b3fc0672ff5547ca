import { createHmac, sign, type KeyObject } from 'node:crypto';

export const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export const now = (): number => Math.floor(Date.now() / 1000);

/** Signs any header and payload with HMAC, whatever they say (for forging test tokens). */
export function hs(
  payload: unknown,
  secret: string | Buffer,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
  hash = 'sha256',
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** Signs with an asymmetric key (RS, ES with ieee-p1363, EdDSA). */
export function asym(
  payload: unknown,
  key: KeyObject,
  header: Record<string, unknown>,
  hash: string | null,
  options: { dsaEncoding?: 'der' | 'ieee-p1363'; pss?: boolean } = {},
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = sign(hash, Buffer.from(input), {
    key,
    ...(options.dsaEncoding ? { dsaEncoding: options.dsaEncoding } : {}),
    ...(options.pss ? { padding: 6, saltLength: -1 } : {}),
  });
  return `${input}.${signature.toString('base64url')}`;
}

export const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: '42',
  iat: now(),
  exp: now() + 600,
  ...extra,
});
