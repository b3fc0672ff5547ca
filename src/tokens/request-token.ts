import type { AuthRequest } from '../context/auth-request.interface.js';
import { readCookie } from '../credentials/cookie-reader.js';
import type { CookieSettings } from '../credentials/cookie-settings.js';
import { readScheme, readSingleHeader } from '../credentials/credential-header.js';

/** The token a request carries, and whether a cookie brought it (then CSRF applies). */
export interface RequestToken {
  token: string;
  fromCookie: boolean;
}

/**
 * The token of the request's login, whatever its transport: `Authorization: Bearer`, else the
 * access cookie, else the refresh cookie (the access cookie is gone once its `Max-Age` passed,
 * the refresh cookie reaches the routes under `refreshPath`). `undefined` when there is none.
 * A credential sent twice is 400 `invalid_request`, as everywhere.
 */
export function requestToken(request: AuthRequest, cookies: CookieSettings): RequestToken | undefined {
  const header = readSingleHeader(request, 'authorization');
  const bearer = header === undefined ? undefined : readScheme(header, 'Bearer');
  if (bearer !== undefined) return { token: bearer, fromCookie: false };
  const cookie = readCookie(request, cookies.access) || readCookie(request, cookies.refresh);
  return cookie ? { token: cookie, fromCookie: true } : undefined;
}
