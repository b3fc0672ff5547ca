import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import type { TokenOptions } from '../auth.options.js';
import {
  createSignature,
  importPrivateKey,
  importSecret,
  isJwtAlgorithm,
  isSymmetric,
  keyMismatch,
  type JwtAlgorithm,
} from './jwt-algorithms.js';
import { decodeJwt, verifyDecoded, type ClaimRules, type JwtPayload } from './jwt-verifier.js';

const MISSING =
  "TokenService: configure `tokens` in AuthModule.forRoot(), e.g. tokens: { secret: process.env.JWT_SECRET, algorithm: 'HS256' }";

/** The resolved `tokens` options: keys imported once, lifetimes checked. */
export class TokenSigner {
  readonly algorithm: JwtAlgorithm;
  readonly accessTtl: number;
  readonly refreshTtl: number;
  /** The longest a login lasts, in seconds from it, whatever its refreshes (`tokens.maxSessionAge`). */
  readonly maxSessionAge: number;
  readonly issuer: string | undefined;
  readonly audience: string | string[] | undefined;
  private readonly signingKey: KeyObject;
  private readonly verifyingKey: KeyObject;
  private readonly keyId: string | undefined;
  private readonly rules: ClaimRules;
  private readonly algorithms: ReadonlySet<string>;

  constructor(options: TokenOptions) {
    const what = 'AuthModule tokens';
    const algorithm = options.algorithm ?? 'HS256';
    if (!isJwtAlgorithm(algorithm)) throw new TypeError(`${what}: algorithm ${JSON.stringify(algorithm)} is not supported`);
    this.algorithm = algorithm;
    if (isSymmetric(algorithm)) {
      if (options.secret === undefined) throw new TypeError(`${what}: ${algorithm} needs \`secret\` (at least 32 bytes)`);
      this.signingKey = importSecret(options.secret as string | Buffer | KeyObject, what);
      this.verifyingKey = this.signingKey;
    } else {
      if (options.privateKey === undefined) throw new TypeError(`${what}: ${algorithm} needs \`privateKey\``);
      this.signingKey = importPrivateKey(options.privateKey, what);
      this.verifyingKey = createPublicKey(this.signingKey);
    }
    const mismatch = keyMismatch(algorithm, this.verifyingKey);
    if (mismatch !== null) throw new TypeError(`${what}: ${mismatch}`);
    this.accessTtl = positive(options.accessTtl ?? 3600, 'accessTtl');
    this.refreshTtl = positive(options.refreshTtl ?? 1_209_600, 'refreshTtl');
    this.maxSessionAge = positive(options.maxSessionAge ?? 2_592_000, 'maxSessionAge');
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.keyId = options.keyId;
    this.algorithms = new Set([algorithm]);
    this.rules = {
      issuer: options.issuer === undefined ? undefined : [options.issuer],
      audience: options.audience === undefined ? undefined : Array.isArray(options.audience) ? options.audience : [options.audience],
      leeway: 0,
      requiredClaims: ['exp', 'jti', 'type'],
    };
  }

  /** Signs a claims set as a compact JWS. */
  sign(claims: JwtPayload): string {
    const header = { alg: this.algorithm, typ: 'JWT', ...(this.keyId === undefined ? {} : { kid: this.keyId }) };
    const input = `${encode(header)}.${encode(claims)}`;
    return `${input}.${createSignature(this.algorithm, this.signingKey, input).toString('base64url')}`;
  }

  /**
   * Verifies a token this service issued (shape, algorithm, signature, claims). With
   * `allowExpired`, a token past its `exp` is accepted; everything else is still checked.
   */
  verify(token: string, options: { allowExpired?: boolean } = {}): JwtPayload {
    const decoded = decodeJwt(token, this.algorithms, 8192);
    const rules = options.allowExpired === true ? { ...this.rules, allowExpired: true } : this.rules;
    return verifyDecoded(decoded, this.verifyingKey, rules, Date.now() / 1000);
  }

  /** A `TypeError` saying how to configure tokens, for a module configured without them. */
  static missing(): TypeError {
    return new TypeError(MISSING);
  }
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`AuthModule tokens: \`${name}\` must be a whole number of seconds > 0`);
  return value;
}
