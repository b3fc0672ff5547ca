import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthUser } from '../context/request-context.interface.js';
import { credentialSettingsOf } from '../credentials/credential-settings.js';
import { clearCsrfCookie, responseOf, writeCsrfCookie, type CookieResponse } from '../credentials/cookie-writer.js';
import { randomCsrfToken } from '../credentials/csrf-check.js';

type Callback = (error?: unknown) => void;

/** The members `express-session` and `@fastify/session` sessions share. */
interface SessionLike {
  regenerate(callback: Callback): void;
  destroy(callback: Callback): void;
  save(callback: Callback): void;
  get?(key: string): unknown;
  set?(key: string, value: unknown): void;
  cookie?: { expires?: unknown };
  [key: string]: unknown;
}

/** The session field that holds the login's CSRF token (namespaced: it never meets the app's own fields). */
export const SESSION_CSRF_KEY = 'warden:csrf';

/** Options of {@link loginSession}. */
export interface LoginSessionOptions {
  /**
   * The session field the user id is stored in; give `SessionAuthentication` the same.
   * @default 'userId'
   */
  userIdKey?: string;
  /**
   * The response the `csrf_token` cookie is set on: what `@Res({ passthrough: true })`
   * gives. Required on Fastify (its request does not reach the reply); on Express
   * `request.res` is used when it is left out.
   * @default request.res (Express)
   */
  response?: CookieResponse;
}

/** Options of {@link logoutSession}. */
export interface LogoutSessionOptions {
  /**
   * The response the `csrf_token` cookie is cleared on; required on Fastify.
   * @default request.res (Express)
   */
  response?: CookieResponse;
}

function sessionOf(request: AuthRequest): SessionLike {
  const session = request.session as SessionLike | undefined;
  if (session === undefined || session === null || typeof session.regenerate !== 'function') {
    throw new TypeError('No session on this request: register express-session (Express) or @fastify/cookie + @fastify/session (Fastify)');
  }
  return session;
}

const settle = (call: (done: Callback) => void): Promise<void> =>
  new Promise((resolve, reject) => call((error) => (error ? reject(error) : resolve())));

/** Reads a field of the request's session, on either adapter; `undefined` without a session. */
export function readSessionValue(request: AuthRequest, key: string): unknown {
  const session = request.session as SessionLike | undefined;
  if (session === undefined || session === null) return undefined;
  return typeof session.get === 'function' ? session.get(key) : session[key];
}

/**
 * Logs `user` in: regenerates the session id first (against session fixation), stores the
 * user id under `userIdKey` and a fresh random CSRF token, saves, then sets the CSRF token
 * as the `csrf_token` cookie, readable by the page, with the names and attributes of
 * `tokens.cookies` (the defaults without `tokens`: `Secure`, `SameSite=Lax`, path `/`; it
 * expires with the session cookie). A session cookie is sent by the browser on cross-site
 * requests too, so an unsafe request (POST, PUT, PATCH, DELETE) authenticated by
 * `SessionAuthentication` must echo that token in `X-CSRF-Token`, or it gets 403 `csrf_failed`.
 *
 * The cookie settings reach this free function through the request: AuthModule's global
 * guard leaves the app's resolved settings on every request it sees (`@Public()` routes
 * included), so call it from a controller route of an app that imports `AuthModule`.
 *
 * Resolves to the CSRF token, for a client that takes it from the response body instead.
 * `options` may also be the `userIdKey` string alone (the earlier signature; Express only).
 *
 * @example
 * ```ts
 * @Public() @Post('login')
 * async login(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse, @Body() body: LoginDto) {
 *   await loginSession(request, await this.users.verify(body), { response });
 * }
 * ```
 */
export async function loginSession(request: AuthRequest, user: AuthUser, options: LoginSessionOptions | string = {}): Promise<string> {
  const { userIdKey = 'userId', response } = typeof options === 'string' ? { userIdKey: options } : options;
  // Checked before the session changes: a call that cannot set the cookie changes nothing.
  const settings = credentialSettingsOf(request, 'loginSession');
  const target = responseOf(request, response, 'loginSession(request, user, { response })');
  await settle((done) => sessionOf(request).regenerate(done));
  const fresh = sessionOf(request);
  const csrfToken = randomCsrfToken();
  write(fresh, userIdKey, String(user.id));
  write(fresh, SESSION_CSRF_KEY, csrfToken);
  await settle((done) => fresh.save(done));
  const expires = fresh.cookie?.expires;
  writeCsrfCookie(target, settings.cookies, csrfToken, expires instanceof Date ? { expires } : {});
  return csrfToken;
}

/**
 * Logs out: destroys the session in its store, so its cookie no longer authenticates, and
 * expires the `csrf_token` cookie. On Fastify pass the reply: `logoutSession(request, { response })`.
 */
export async function logoutSession(request: AuthRequest, options: LogoutSessionOptions = {}): Promise<void> {
  const settings = credentialSettingsOf(request, 'logoutSession');
  const target = responseOf(request, options.response, 'logoutSession(request, { response })');
  await settle((done) => sessionOf(request).destroy(done));
  clearCsrfCookie(target, settings.cookies);
}

function write(session: SessionLike, key: string, value: string): void {
  if (typeof session.set === 'function') session.set(key, value);
  else session[key] = value;
}
