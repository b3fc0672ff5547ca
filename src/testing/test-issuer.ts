import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSignature, type JwtAlgorithm } from '../jwt/jwt-algorithms.js';

/** The algorithms a {@link TestIssuer} signs with (asymmetric: the app only ever holds the public key). */
export type TestIssuerAlgorithm = Extract<JwtAlgorithm, 'RS256' | 'ES256' | 'EdDSA'>;

/** Options of {@link startTestIssuer}. */
export interface TestIssuerOptions {
  /** @default 'RS256' */
  algorithm?: TestIssuerAlgorithm;
  /**
   * The `iss` of minted tokens.
   * @default the issuer's own URL, `http://127.0.0.1:<port>` (what OpenID discovery expects)
   */
  issuer?: string;
  /** The `aud` of minted tokens, when set. */
  audience?: string | string[];
  /**
   * Seconds until a minted token expires.
   * @default 300
   */
  expiresIn?: number;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * An identity provider for tests, on 127.0.0.1: a key pair that signs tokens as another issuer
 * would, its key set at {@link TestIssuer.jwksUri} and an OpenID configuration at
 * `/.well-known/openid-configuration`. Configure the app's `JwtAuthentication` with `jwksUri`
 * (or `publicKey`), `issuer` and the `algorithms` given here. Close it after the tests.
 */
export class TestIssuer {
  /** How many times the key set was fetched. */
  jwksFetches = 0;
  private keys: SigningKey[];

  private constructor(
    private readonly server: Server,
    /** The issuer's URL, `http://127.0.0.1:<port>`. */
    readonly url: string,
    /** The `iss` of the tokens it mints. */
    readonly issuer: string,
    readonly algorithm: TestIssuerAlgorithm,
    private readonly options: TestIssuerOptions,
  ) {
    this.keys = [newKey(algorithm)];
  }

  /** @internal Use {@link startTestIssuer}. */
  static async start(options: TestIssuerOptions = {}): Promise<TestIssuer> {
    const algorithm = options.algorithm ?? 'RS256';
    if (!['RS256', 'ES256', 'EdDSA'].includes(algorithm)) throw new TypeError(`startTestIssuer: algorithm must be RS256, ES256 or EdDSA`);
    // The server answers through the issuer made once it listens (its URL names the port).
    const started: { issuer?: TestIssuer } = {};
    const server = createServer((request, response) => started.issuer?.answer(request.url ?? '/', response) ?? response.end());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    started.issuer = new TestIssuer(server, url, options.issuer ?? url, algorithm, options);
    return started.issuer;
  }

  /** The key set URL, for `JwtAuthentication`'s `jwksUri`. */
  get jwksUri(): string {
    return `${this.url}/.well-known/jwks.json`;
  }

  /** The current public key, for `JwtAuthentication`'s `publicKey`. */
  get publicKey(): KeyObject {
    return this.keys[0]!.publicKey;
  }

  /** The `kid` of the current key. */
  get kid(): string {
    return this.keys[0]!.kid;
  }

  /**
   * A token with `claims`, completed with `iss`, `aud` (when configured), `iat`, `exp` and `jti`
   * unless given, signed with the current key.
   *
   * @example
   * ```ts
   * const token = issuer.mint({ sub: '42', realm_access: { roles: ['admin'] } });
   * ```
   */
  mint(claims: Record<string, unknown>, options: { expiresIn?: number } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const audience = this.options.audience;
    return this.sign({
      iss: this.issuer,
      ...(audience === undefined ? {} : { aud: audience }),
      iat: now,
      exp: now + (options.expiresIn ?? this.options.expiresIn ?? 300),
      jti: randomUUID(),
      ...claims,
    });
  }

  /** Signs exactly `payload` (no claim added) with the current key: for tokens made wrong on purpose. */
  sign(payload: unknown, header: Record<string, unknown> = {}): string {
    const key = this.keys[0]!;
    const input = `${encode({ alg: this.algorithm, typ: 'JWT', kid: key.kid, ...header })}.${encode(payload)}`;
    return `${input}.${createSignature(this.algorithm, key.privateKey, input).toString('base64url')}`;
  }

  /**
   * Starts signing with a new key. The key set lists the new key, and the previous one too
   * when `keepPrevious` (a rotation with overlap), else the previous key's tokens stop verifying.
   */
  rotate(options: { keepPrevious?: boolean } = {}): void {
    this.keys = [newKey(this.algorithm), ...(options.keepPrevious === true ? this.keys : [])];
  }

  /** Stops the server. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private answer(path: string, response: ServerResponse): void {
    const json = (body: unknown): void => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/.well-known/jwks.json') {
      this.jwksFetches++;
      json({
        keys: this.keys.map(({ kid, publicKey }) => ({ ...publicKey.export({ format: 'jwk' }), kid, alg: this.algorithm, use: 'sig' })),
      });
    } else if (path === '/.well-known/openid-configuration') {
      json({ issuer: this.issuer, jwks_uri: this.jwksUri, id_token_signing_alg_values_supported: [this.algorithm] });
    } else {
      response.writeHead(404).end();
    }
  }
}

/**
 * Starts a {@link TestIssuer} on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * const issuer = await startTestIssuer({ audience: 'orders-api' });
 * new JwtAuthentication({ jwksUri: issuer.jwksUri, issuer: issuer.issuer, audience: 'orders-api', algorithms: ['RS256'] });
 * ```
 */
export function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  return TestIssuer.start(options);
}

function newKey(algorithm: TestIssuerAlgorithm): SigningKey {
  const pair =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { kid: randomUUID(), ...pair };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
