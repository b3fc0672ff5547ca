import type { JwtPayload } from './jwt-verifier.js';

/** A token's payload read before its signature, for issuer routing: `null` when it names another issuer. */
export type IssuerPeek = JwtPayload | null | undefined;

/**
 * Reads a token's `iss` before any signature work, so a backend configured with `issuer` can
 * tell another issuer's token (answer `null`: it is for the next backend) apart from a bad
 * token of its own issuer.
 *
 * Answers the parsed payload when its `iss` is a string listed in `issuers` (the verifier checks
 * the signature over the same bytes and reuses this object: one JSON parse per token), `null`
 * when the `iss` is anything else (missing, another string, a number, an array: never this
 * issuer's), and `undefined` when it cannot tell (no `issuers`, not three segments, a payload
 * that is not a JSON object): the token is then verified as usual, and refused for its shape or
 * signature as before. The length cap applies first, so nothing large is ever decoded.
 */
export function peekIssuer(token: string, issuers: readonly string[] | undefined, maxLength: number): IssuerPeek {
  if (issuers === undefined || token.length > maxLength) return undefined;
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const iss = (payload as JwtPayload).iss;
  return typeof iss === 'string' && issuers.includes(iss) ? (payload as JwtPayload) : null;
}
