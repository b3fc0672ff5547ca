import type { EventSink } from './auth-event.interface.js';

/**
 * `TokenService`'s events, each built only while someone listens. Ids only: `sub`, `jti`,
 * `fam` (a token's own claims), never the token.
 */

/** What these helpers read of a token's claims. */
interface TokenIds {
  sub?: unknown;
  jti?: unknown;
  fam?: unknown;
}

const text = (value: unknown): string | null => (typeof value === 'string' || typeof value === 'number' ? String(value) : null);

/** Reports a pair issued (`login` or `refresh`) and returns it. */
export function issued<T>(events: EventSink, type: 'login' | 'refresh', userId: unknown, family: string, pair: T): T {
  if (events.active) events.emit({ type, userId: text(userId) ?? '', family });
  return pair;
}

/** Reports a revocation: by bare `jti` (`claims` undefined), or of a token, with its family when that went too. */
export function revoked(events: EventSink, claims: TokenIds | undefined, jti: string | null, familyToo: boolean): void {
  if (!events.active) return;
  const family = familyToo ? text(claims?.fam) : null;
  events.emit({ type: 'revoked', userId: text(claims?.sub), jti: claims === undefined ? jti : text(claims.jti), family });
}

/** Reports a logout of the login `claims` belongs to. */
export function loggedOut(events: EventSink, claims: TokenIds): void {
  if (events.active) events.emit({ type: 'logout', userId: text(claims.sub) ?? '', family: text(claims.fam) });
}
