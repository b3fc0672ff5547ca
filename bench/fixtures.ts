import { createHmac, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';

/** The algorithms the bench drives through HTTP and the micro-benchmark. */
export const ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
export type BenchAlgorithm = (typeof ALGORITHMS)[number];

/** Keys and tokens shared by the driver and every server: made once per bench run. */
export interface Fixtures {
  /** The HS256 secret, a string as the NestJS docs write it (48 characters). */
  secret: string;
  /** PEM (SPKI) public keys of the asymmetric algorithms. */
  publicKeys: Record<Exclude<BenchAlgorithm, 'HS256'>, string>;
  /** PEM (PKCS#8) private keys of the asymmetric algorithms: the driver mints the distinct-token sets with them. */
  privateKeys: Record<Exclude<BenchAlgorithm, 'HS256'>, string>;
  /** One access token per algorithm, minted once and reused by every connection. */
  tokens: Record<BenchAlgorithm, string>;
  /** A valid API key. */
  apiKey: string;
  /** The permission the `@Permissions()` row requires (the tokens carry it). */
  permission: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** What TokenService would issue for user `sub`, one hour of lifetime, a fresh `jti`. */
function claims(sub: string, iat: number): Record<string, unknown> {
  return {
    sub,
    username: `user-${sub}`,
    is_staff: false,
    is_superuser: false,
    permissions: ['items:read'],
    iat,
    exp: iat + 3600,
    jti: randomUUID(),
    type: 'access',
    fresh: false,
  };
}

/** Signs one token of `alg` with the fixtures' keys (`key`: the private key, prepared once by the caller). */
export function mintToken(alg: BenchAlgorithm, secret: string, key: KeyObject | undefined, sub: string, iat: number): string {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims(sub, iat))}`;
  let signature: Buffer;
  if (alg === 'HS256') signature = createHmac('sha256', secret).update(input).digest();
  else if (alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: key!, dsaEncoding: 'ieee-p1363' });
  else signature = sign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), key!);
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * How many distinct tokens a rotating row cycles through: five times what the verified-token
 * cache holds (10,000 by default) and three times its doorkeeper (16,384 fingerprints), so
 * cycled in order no token is seen again while anything remembers it: every request is a miss.
 * RS256 minting takes ~0.6 ms a token (~30 s for the set, once per run).
 */
export const DISTINCT_TOKENS: Record<BenchAlgorithm, number> = { HS256: 50_000, RS256: 50_000, ES256: 50_000, EdDSA: 50_000 };

/** `count` distinct valid tokens of `alg` (one user each, fresh `jti`). */
export function mintDistinct(fixtures: Fixtures, alg: BenchAlgorithm, count: number): string[] {
  const key = alg === 'HS256' ? undefined : createPrivateKey(fixtures.privateKeys[alg]);
  const iat = Math.floor(Date.now() / 1000);
  const tokens = new Array<string>(count);
  for (let i = 0; i < count; i++) tokens[i] = mintToken(alg, fixtures.secret, key, String(i), iat);
  return tokens;
}

/**
 * `count` forged tokens of `alg`: well-formed, valid claims, each with its own `jti` and a
 * random signature of the right length. What an attacker sends to force a miss per request.
 */
export function mintForged(alg: BenchAlgorithm, count: number): string[] {
  const length = alg === 'HS256' || alg === 'RS256' ? (alg === 'HS256' ? 32 : 256) : 64;
  const iat = Math.floor(Date.now() / 1000);
  const header = b64({ alg, typ: 'JWT' });
  const tokens = new Array<string>(count);
  for (let i = 0; i < count; i++) tokens[i] = `${header}.${b64(claims(String(i), iat))}.${randomBytes(length).toString('base64url')}`;
  return tokens;
}

/** Generates the keys and mints the tokens: what TokenService would issue, one hour of lifetime. */
export function makeFixtures(): Fixtures {
  const secret = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwx';
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ed = generateKeyPairSync('ed25519');
  const iat = Math.floor(Date.now() / 1000);
  const pem = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }): string =>
    key.export({ type: 'spki', format: 'pem' }).toString();
  const pkcs8 = (key: { export(options: { type: 'pkcs8'; format: 'pem' }): string | Buffer }): string =>
    key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    secret,
    publicKeys: { RS256: pem(rsa.publicKey), ES256: pem(ec.publicKey), EdDSA: pem(ed.publicKey) },
    privateKeys: { RS256: pkcs8(rsa.privateKey), ES256: pkcs8(ec.privateKey), EdDSA: pkcs8(ed.privateKey) },
    tokens: {
      HS256: mintToken('HS256', secret, undefined, '42', iat),
      RS256: mintToken('RS256', secret, rsa.privateKey, '42', iat),
      ES256: mintToken('ES256', secret, ec.privateKey, '42', iat),
      EdDSA: mintToken('EdDSA', secret, ed.privateKey, '42', iat),
    },
    apiKey: 'bench-api-key-5f0c2a9e7d1b4c3a8e6f',
    permission: 'items:read',
  };
}
