import type { KeyObject } from 'node:crypto';
import {
  TokenClaimsInvalidError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMalformedError,
  TokenNotYetValidError,
} from '../auth.errors.js';
import { isJwtAlgorithm, verifySignature, type JwtAlgorithm } from './jwt-algorithms.js';
import { refusal } from './refusal.js';
import { deepFreeze } from './deep-freeze.js';

/** A JOSE header after parsing: a plain JSON object with a listed `alg`. */
export interface JwtHeader {
  alg: JwtAlgorithm;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

/** A JWT claims set after verification. */
export type JwtPayload = Record<string, unknown>;

/** A token split and shape-checked, its signature not yet verified. */
export interface DecodedJwt {
  header: JwtHeader;
  signingInput: string;
  payloadSegment: string;
  signature: Buffer;
  /** The payload, when parsed before the signature for issuer routing (`peekIssuer`); trusted only after it. */
  payload?: JwtPayload;
}

/** The claim rules a verifier enforces after the signature. */
export interface ClaimRules {
  audience?: readonly string[];
  issuer?: readonly string[];
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  leeway: number;
  /** Claims that must be present (`exp` by default). */
  requiredClaims: readonly string[];
  /** Accept a token past its `exp` (`TokenService.revoke(token, { allowExpired: true })`: ending a login). @default false */
  allowExpired?: boolean;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Headers already checked by one verifier, by their segment: a verifier sees the same few
 * headers (one per algorithm and `kid`) on every token, so each is decoded and checked once.
 * Entries are frozen (shared by requests). Emptied when it reaches {@link HEADER_MEMO_SIZE}, so
 * headers made up by a client cost it nothing to send and the verifier no memory.
 */
export type HeaderMemo = Map<string, JwtHeader>;
/** How many distinct headers a {@link HeaderMemo} holds before it is emptied. */
export const HEADER_MEMO_SIZE = 16;

/**
 * Splits and checks the shape of a compact JWS: three base64url segments, a JSON-object
 * header whose `alg` is one of `algorithms`, and no `crit` extension (none is understood,
 * so RFC 7515 §4.1.11 requires rejection; this also refuses `b64: false`).
 *
 * @param headers the verifier's memo of headers that passed these checks with these `algorithms`.
 */
export function decodeJwt(token: string, algorithms: ReadonlySet<string>, maxLength: number, headers?: HeaderMemo): DecodedJwt {
  if (token.length > maxLength) throw refusal(TokenMalformedError, `The token is longer than ${maxLength} characters`);
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) {
    throw refusal(TokenMalformedError, 'The token must have three dot-separated segments');
  }
  const headerSegment = token.slice(0, first);
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);
  const known = headers?.get(headerSegment);
  if (payloadSegment.length === 0 || !isBase64Url(payloadSegment) || !isBase64Url(signatureSegment)) {
    throw refusal(TokenMalformedError, 'The token is not made of base64url segments');
  }
  return {
    header: known ?? checkHeader(headerSegment, algorithms, headers),
    signingInput: token.slice(0, second),
    payloadSegment,
    signature: Buffer.from(signatureSegment, 'base64url'),
  };
}

function checkHeader(segment: string, algorithms: ReadonlySet<string>, headers: HeaderMemo | undefined): JwtHeader {
  if (segment.length === 0 || !isBase64Url(segment)) throw refusal(TokenMalformedError, 'The token is not made of base64url segments');
  const header = parseObject(segment);
  if (header === undefined) throw refusal(TokenMalformedError, 'The token header is not a JSON object');
  const alg = header.alg;
  if (!isJwtAlgorithm(alg) || !algorithms.has(alg)) {
    throw refusal(TokenInvalidError, 'The token algorithm is not allowed');
  }
  if (header.crit !== undefined) throw refusal(TokenInvalidError, 'The token has critical header parameters that are not supported');
  if (headers === undefined) return header as JwtHeader;
  if (headers.size >= HEADER_MEMO_SIZE) headers.clear();
  headers.set(segment, deepFreeze(header) as JwtHeader);
  return header as JwtHeader;
}

/**
 * Verifies the signature of a decoded token with `key`, then parses its claims and checks
 * them against `rules`. Order matters: nothing about the claims is reported before the
 * signature has been checked.
 */
export function verifyDecoded(decoded: DecodedJwt, key: KeyObject, rules: ClaimRules, now: number): JwtPayload {
  if (!verifySignature(decoded.header.alg, key, decoded.signingInput, decoded.signature)) {
    throw refusal(TokenInvalidError);
  }
  const payload = decoded.payload ?? parseObject(decoded.payloadSegment);
  if (payload === undefined) throw refusal(TokenMalformedError, 'The token payload is not a JSON object');
  checkClaims(payload, rules, now);
  return payload;
}

/** Checks registered claims (RFC 7519 §4.1) the way `jose` does, and the configured rules. */
export function checkClaims(payload: JwtPayload, rules: ClaimRules, now: number): void {
  for (const name of rules.requiredClaims) {
    if (payload[name] === undefined) throw refusal(TokenClaimsInvalidError, `The token has no "${name}" claim`);
  }
  const { exp, nbf, iat, aud } = payload;
  checkNumeric('exp', exp);
  checkNumeric('nbf', nbf);
  checkNumeric('iat', iat);
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((item) => typeof item === 'string'))) {
    throw refusal(TokenClaimsInvalidError, 'The "aud" claim must be a string or an array of strings');
  }
  checkTimes(payload, rules, now);
  if (rules.issuer !== undefined && !rules.issuer.includes(payload.iss as string)) {
    throw refusal(TokenClaimsInvalidError, 'The token issuer is not accepted');
  }
  if (rules.audience !== undefined) {
    const audiences = typeof aud === 'string' ? [aud] : ((aud as string[] | undefined) ?? []);
    if (!audiences.some((item) => rules.audience!.includes(item))) {
      throw refusal(TokenClaimsInvalidError, 'The token audience is not accepted');
    }
  }
}

/**
 * The claims that change meaning with time: `exp` (RFC 7519 §4.1.4: not accepted "on or
 * after" it) and `nbf`. Run on every use of an already verified payload too.
 */
export function checkTimes(payload: JwtPayload, rules: ClaimRules, now: number): void {
  const { exp, nbf } = payload;
  if (typeof exp === 'number' && exp <= now - rules.leeway && rules.allowExpired !== true) throw refusal(TokenExpiredError);
  if (typeof nbf === 'number' && nbf > now + rules.leeway) throw refusal(TokenNotYetValidError);
}

function checkNumeric(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw refusal(TokenClaimsInvalidError, `The "${name}" claim must be a number`);
  }
}

/** Strict base64url: the alphabet only, no padding, and no impossible length (4n + 1). */
function isBase64Url(segment: string): boolean {
  return segment.length % 4 !== 1 && BASE64URL.test(segment);
}

function parseObject(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
