import type { KeyObject } from 'node:crypto';
import { TokenClaimsInvalidError, TokenInvalidError } from '../auth.errors.js';
import { verifySignature, type JwtAlgorithm } from './jwt-algorithms.js';
import { checkClaims, decodeJwt, type ClaimRules, type DecodedJwt, type JwtPayload } from './jwt-verifier.js';

/** What a verifier is made of, for {@link probeVerifier}. */
export interface ProbeTarget {
  algorithms: ReadonlySet<string>;
  /** The local keys by algorithm. */
  keys: ReadonlyMap<JwtAlgorithm, KeyObject>;
  /**
   * Whether the keys are out of the probe's sight: a remote key set (JWKS), never fetched by
   * a probe, or a subclass's own key lookup, never called by one (it may do I/O).
   */
  opaqueKeys: boolean;
  rules: ClaimRules;
  maxTokenLength: number;
}

/**
 * Whether a verifier accepts a token, and if not, the first reason, in verification order:
 * `algorithm` (not in its list), `key` (the signature does not verify with its key),
 * `issuer`, `audience` (`accepts` lists what it accepts). `undefined` when the answer
 * depends on keys out of sight (see {@link ProbeTarget.opaqueKeys}): everything else passed.
 */
export type ProbeVerdict =
  | { accepted: true }
  | { accepted: false; problem: 'algorithm' | 'key' | 'issuer' | 'audience'; accepts: readonly string[] }
  | { accepted: undefined };

/**
 * Judges offline whether a verifier would accept `token`, whose claims are `claims` (the
 * caller signed it). Reuses the request path's checks (`decodeJwt`, the signature check,
 * `checkClaims`) step by step to name the step that fails; it caches nothing, asks no
 * revocation store, fetches no key set and calls no key lookup. Time claims are judged at `claims.iat`, so a
 * probe token may be born expired and never be usable as a credential.
 */
export function probeVerifier(token: string, claims: JwtPayload, target: ProbeTarget): ProbeVerdict {
  let decoded: DecodedJwt;
  try {
    decoded = decodeJwt(token, target.algorithms, target.maxTokenLength);
  } catch (error) {
    if (error instanceof TokenInvalidError) return { accepted: false, problem: 'algorithm', accepts: [...target.algorithms] };
    throw error;
  }
  if (!target.opaqueKeys) {
    const key = target.keys.get(decoded.header.alg);
    if (key === undefined || !verifySignature(decoded.header.alg, key, decoded.signingInput, decoded.signature)) {
      return { accepted: false, problem: 'key', accepts: [] };
    }
  }
  const at = typeof claims.iat === 'number' ? claims.iat : Date.now() / 1000;
  for (const problem of ['issuer', 'audience'] as const) {
    const accepts = target.rules[problem];
    try {
      checkClaims(claims, { [problem]: accepts, leeway: 0, requiredClaims: [] }, at);
    } catch (error) {
      if (error instanceof TokenClaimsInvalidError) return { accepted: false, problem, accepts: accepts ?? [] };
      throw error;
    }
  }
  return target.opaqueKeys ? { accepted: undefined } : { accepted: true };
}
