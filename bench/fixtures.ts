import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

/** The algorithms the bench drives through HTTP and the micro-benchmark. */
export const ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
export type BenchAlgorithm = (typeof ALGORITHMS)[number];

/** Keys and tokens shared by the driver and every server: made once per bench run. */
export interface Fixtures {
  /** The HS256 secret, a string as the NestJS docs write it (48 characters). */
  secret: string;
  /** PEM (SPKI) public keys of the asymmetric algorithms. */
  publicKeys: Record<Exclude<BenchAlgorithm, 'HS256'>, string>;
  /** One access token per algorithm, minted once and reused by every connection. */
  tokens: Record<BenchAlgorithm, string>;
  /** A valid API key. */
  apiKey: string;
  /** The permission the `@Permissions()` row requires (the tokens carry it). */
  permission: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Generates the keys and mints the tokens: what TokenService would issue, one hour of lifetime. */
export function makeFixtures(): Fixtures {
  const secret = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwx';
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ed = generateKeyPairSync('ed25519');
  const iat = Math.floor(Date.now() / 1000);
  const claims = (): Record<string, unknown> => ({
    sub: '42',
    username: 'ada',
    is_staff: false,
    is_superuser: false,
    permissions: ['items:read'],
    iat,
    exp: iat + 3600,
    jti: randomUUID(),
    type: 'access',
    fresh: false,
  });
  const mint = (alg: BenchAlgorithm, signer: (input: string) => Buffer): string => {
    const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims())}`;
    return `${input}.${signer(input).toString('base64url')}`;
  };
  const pem = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }): string =>
    key.export({ type: 'spki', format: 'pem' }).toString();
  return {
    secret,
    publicKeys: { RS256: pem(rsa.publicKey), ES256: pem(ec.publicKey), EdDSA: pem(ed.publicKey) },
    tokens: {
      HS256: mint('HS256', (input) => createHmac('sha256', secret).update(input).digest()),
      RS256: mint('RS256', (input) => sign('sha256', Buffer.from(input), rsa.privateKey)),
      ES256: mint('ES256', (input) => sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })),
      EdDSA: mint('EdDSA', (input) => sign(null, Buffer.from(input), ed.privateKey)),
    },
    apiKey: 'bench-api-key-5f0c2a9e7d1b4c3a8e6f',
    permission: 'items:read',
  };
}
