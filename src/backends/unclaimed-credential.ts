import { TokenInvalidError, type AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/** Where a request keeps the refusal of a credential every backend passed on (per request: a fresh object each call). */
const UNCLAIMED = Symbol('warden:unclaimed');

type WithUnclaimed = AuthRequest & { [UNCLAIMED]?: AuthError };

/**
 * A backend saw a credential of its kind that is not its own (a JWT of another issuer) and
 * answers `null` so the next backend may take it. If none does, the request is refused with
 * `error` (by {@link unclaimedCredential}), never treated as anonymous: a token no backend
 * claims is a bad credential, not a missing one.
 */
export function passOn(request: AuthRequest, error: AuthError = new TokenInvalidError('No configured issuer accepts this token')): null {
  (request as WithUnclaimed)[UNCLAIMED] ??= error;
  return null;
}

/**
 * What the backend chain answers when no backend authenticated the request: `null`
 * (anonymous), or throws the refusal of a credential every backend passed on.
 */
export function unclaimedCredential(request: AuthRequest): null {
  const error = (request as WithUnclaimed)[UNCLAIMED];
  if (error !== undefined) throw error;
  return null;
}
