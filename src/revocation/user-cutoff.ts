import type { RevocationQuery } from './revocation.store.js';

/**
 * A user's logout-all cut-off, as every store keeps it: tokens of the user issued at or before
 * `cutoff` are refused, except those of the login `family`, which are refused at or before
 * `familyCutoff` instead (what an earlier logout-all had already refused of that login).
 * Times are epoch milliseconds.
 */
export interface UserCutoff {
  cutoff: number;
  family?: string;
  familyCutoff?: number;
}

/**
 * Below this a time is in seconds: cut-offs recorded before they carried milliseconds, and
 * `iat` of tokens that carry no `iat_ms`. 10^11 ms is 1973; 10^11 s is the year 5138.
 */
const SECONDS_BELOW = 1e11;

/** A cut-off in epoch milliseconds; one recorded in seconds covers the whole of that second. */
export function cutoffMs(value: number): number {
  return value > 0 && value < SECONDS_BELOW ? value * 1000 + 999 : value;
}

/**
 * When the token a query describes was issued, in epoch milliseconds: `issuedAtMs` when given,
 * else the start of its `iat` second (a token from another issuer, or one without `iat_ms`: a
 * cut-off in that second refuses it, erring on the side of refusal).
 */
export function issuedAtMs(query: RevocationQuery): number {
  if (query.issuedAtMs !== undefined) return query.issuedAtMs;
  return (query.iat ?? 0) * 1000;
}

/** The cut-off one `revokeAllForUser(sub, cutoff, expiresAt, { except })` call records. */
export function userCutoff(cutoff: number, except?: string): UserCutoff {
  const ms = cutoffMs(cutoff);
  return except === undefined ? { cutoff: ms } : { cutoff: ms, family: except, familyCutoff: 0 };
}

/** Whether `entry` refuses the token `query` describes. */
export function cutoffRefuses(entry: UserCutoff, query: RevocationQuery): boolean {
  const applies = entry.family !== undefined && entry.family === query.family ? (entry.familyCutoff ?? 0) : entry.cutoff;
  return issuedAtMs(query) <= applies;
}

/**
 * Two cut-offs of one user combined: each login is refused up to the later of the two times
 * that apply to it. Commutative, associative and idempotent, so replicas that see the same
 * writes in any order agree, and the result always fits one `UserCutoff` (a spared login's time
 * never exceeds the general cut-off).
 */
export function mergeCutoffs(a: UserCutoff, b: UserCutoff): UserCutoff {
  const cutoff = Math.max(a.cutoff, b.cutoff);
  const at = (entry: UserCutoff, family: string): number => (entry.family === family ? (entry.familyCutoff ?? 0) : entry.cutoff);
  let family: string | undefined;
  if (a.family !== undefined && (b.family === undefined || a.family === b.family || a.cutoff > b.cutoff)) family = a.family;
  else family = b.family;
  if (family === undefined) return { cutoff };
  const familyCutoff = Math.max(at(a, family), at(b, family));
  return familyCutoff >= cutoff ? { cutoff } : { cutoff, family, familyCutoff };
}

/**
 * The text a shared store keeps: `"<cutoff>"`, or `"<cutoff> <familyCutoff> <family>"` (the
 * family last, so it may hold any character). The Redis script reads and writes the same form.
 */
export function encodeCutoff(entry: UserCutoff): string {
  const cutoff = entry.cutoff.toFixed(0);
  return entry.family === undefined ? cutoff : `${cutoff} ${(entry.familyCutoff ?? 0).toFixed(0)} ${entry.family}`;
}

/** Reads what {@link encodeCutoff} wrote (or a bare number of seconds from an earlier version). */
export function decodeCutoff(text: string): UserCutoff {
  const match = /^(\d+) (\d+) ([\s\S]*)$/.exec(text);
  if (match === null) return { cutoff: cutoffMs(Number(text) || 0) };
  return { cutoff: cutoffMs(Number(match[1])), family: match[3], familyCutoff: cutoffMs(Number(match[2])) };
}
