import { serialize, type SerializeOptions } from 'cookie';
import type { CsrfProtection } from '../csrf/csrf-protection.js';
import type { TokenPair } from './token.types.js';

/** The response of either adapter, as `@Res({ passthrough: true })` gives it. */
export interface CookieResponse {
  /** Express */
  append?(name: string, value: string): unknown;
  /** Fastify (appends for `set-cookie`) */
  header?(name: string, value: string): unknown;
}

function appendCookie(response: CookieResponse, value: string): void {
  if (typeof response.append === 'function') response.append('Set-Cookie', value);
  else if (typeof response.header === 'function') response.header('set-cookie', value);
  else throw new TypeError('setAuthCookies needs the Express response or the Fastify reply (@Res({ passthrough: true }))');
}

/** Writes the access, refresh and CSRF cookies of a login. */
export function writeAuthCookies(
  response: CookieResponse,
  pair: TokenPair,
  csrf: CsrfProtection,
  lifetimes: { access: number; refresh: number },
  family: string,
): void {
  const c = csrf.cookies;
  const base: SerializeOptions = { secure: c.secure, sameSite: c.sameSite, domain: c.domain };
  appendCookie(response, serialize(c.access, pair.access_token, { ...base, httpOnly: true, path: '/', maxAge: lifetimes.access }));
  appendCookie(
    response,
    serialize(c.refresh, pair.refresh_token, { ...base, httpOnly: true, path: c.refreshPath, maxAge: lifetimes.refresh }),
  );
  // Readable by the page, which echoes it in the CSRF header.
  appendCookie(response, serialize(c.csrf, csrf.tokenFor(family), { ...base, httpOnly: false, path: '/', maxAge: lifetimes.refresh }));
}

/** Expires the three cookies. */
export function clearAuthCookies(response: CookieResponse, csrf: CsrfProtection): void {
  const c = csrf.cookies;
  const base: SerializeOptions = { secure: c.secure, sameSite: c.sameSite, domain: c.domain, maxAge: 0, expires: new Date(0) };
  appendCookie(response, serialize(c.access, '', { ...base, httpOnly: true, path: '/' }));
  appendCookie(response, serialize(c.refresh, '', { ...base, httpOnly: true, path: c.refreshPath }));
  appendCookie(response, serialize(c.csrf, '', { ...base, path: '/' }));
}
