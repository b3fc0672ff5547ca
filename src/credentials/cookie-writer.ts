import { serialize, type SerializeOptions } from 'cookie';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { CookieSettings } from './cookie-settings.js';

/** The response of either adapter, as `@Res({ passthrough: true })` gives it. */
export interface CookieResponse {
  /** Express */
  append?(name: string, value: string): unknown;
  /** Fastify (appends for `set-cookie`) */
  header?(name: string, value: string): unknown;
}

/** The cookies of a JWT login and their lifetimes in seconds. */
export interface LoginCookies {
  access: string;
  refresh: string;
  csrf: string;
  accessTtl: number;
  refreshTtl: number;
}

/** Whether `value` can take a `Set-Cookie` header (the Express response or the Fastify reply). */
export function isCookieResponse(value: unknown): value is CookieResponse {
  if (typeof value !== 'object' || value === null) return false;
  const response = value as CookieResponse;
  return typeof response.append === 'function' || typeof response.header === 'function';
}

/**
 * The response to set cookies on: the one given, else Express' `request.res`. Fastify's
 * request does not reach its reply, so there the caller must pass it; a `TypeError` says
 * how, quoting `usage` (the call with its `response` option, e.g. `logoutSession(request, { response })`).
 */
export function responseOf(request: AuthRequest, given: unknown, usage: string): CookieResponse {
  const caller = usage.slice(0, usage.indexOf('('));
  if (given !== undefined) {
    if (isCookieResponse(given)) return given;
    throw new TypeError(`${caller}: \`response\` must be the Express response or the Fastify reply (@Res({ passthrough: true }))`);
  }
  const own = (request as { res?: unknown }).res;
  if (isCookieResponse(own)) return own;
  throw new TypeError(
    `${caller} sets the CSRF cookie and needs the response: call ${usage} with the response of ` +
      '@Res({ passthrough: true }) (on Fastify the request does not reach its reply)',
  );
}

/** Writes the access, refresh and CSRF cookies of a login (`TokenService.setAuthCookies`). */
export function writeLoginCookies(response: CookieResponse, settings: CookieSettings, cookies: LoginCookies): void {
  const base = attributes(settings);
  append(response, serialize(settings.access, cookies.access, { ...base, httpOnly: true, path: '/', maxAge: cookies.accessTtl }));
  const refresh = { ...base, httpOnly: true, path: settings.refreshPath, maxAge: cookies.refreshTtl };
  append(response, serialize(settings.refresh, cookies.refresh, refresh));
  writeCsrfCookie(response, settings, cookies.csrf, { maxAge: cookies.refreshTtl });
}

/** Expires the access, refresh and CSRF cookies (a logout). */
export function clearLoginCookies(response: CookieResponse, settings: CookieSettings): void {
  const base = { ...attributes(settings), ...EXPIRED };
  append(response, serialize(settings.access, '', { ...base, httpOnly: true, path: '/' }));
  append(response, serialize(settings.refresh, '', { ...base, httpOnly: true, path: settings.refreshPath }));
  clearCsrfCookie(response, settings);
}

/**
 * Writes the CSRF cookie: readable by the page (not HttpOnly), which echoes it in the CSRF
 * header; path `/`, with the app's `secure`, `sameSite` and `domain`. Without a lifetime it
 * lasts as long as the browser session.
 */
export function writeCsrfCookie(
  response: CookieResponse,
  settings: CookieSettings,
  token: string,
  lifetime: { maxAge?: number; expires?: Date } = {},
): void {
  append(response, serialize(settings.csrf, token, { ...attributes(settings), httpOnly: false, path: '/', ...lifetime }));
}

/** Expires the CSRF cookie. */
export function clearCsrfCookie(response: CookieResponse, settings: CookieSettings): void {
  append(response, serialize(settings.csrf, '', { ...attributes(settings), ...EXPIRED, path: '/' }));
}

const EXPIRED: Readonly<SerializeOptions> = Object.freeze({ maxAge: 0, expires: new Date(0) });

function attributes(settings: CookieSettings): SerializeOptions {
  return { secure: settings.secure, sameSite: settings.sameSite, domain: settings.domain };
}

function append(response: CookieResponse, value: string): void {
  if (typeof response.append === 'function') response.append('Set-Cookie', value);
  else if (typeof response.header === 'function') response.header('set-cookie', value);
  else throw new TypeError('Cookies need the Express response or the Fastify reply (@Res({ passthrough: true }))');
}
