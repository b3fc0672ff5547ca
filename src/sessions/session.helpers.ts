import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthUser } from '../context/request-context.interface.js';

type Callback = (error?: unknown) => void;

/** The members `express-session` and `@fastify/session` sessions share. */
interface SessionLike {
  regenerate(callback: Callback): void;
  destroy(callback: Callback): void;
  save(callback: Callback): void;
  get?(key: string): unknown;
  set?(key: string, value: unknown): void;
  [key: string]: unknown;
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
 * Logs `user` in: regenerates the session id first (against session fixation), then
 * stores the user id under `userIdKey` and saves.
 *
 * @example
 * ```ts
 * @Public() @Post('login')
 * async login(@Req() request: AuthRequest, @Body() body: LoginDto) {
 *   await loginSession(request, await this.users.verify(body));
 * }
 * ```
 */
export async function loginSession(request: AuthRequest, user: AuthUser, userIdKey = 'userId'): Promise<void> {
  await settle((done) => sessionOf(request).regenerate(done));
  const fresh = sessionOf(request);
  if (typeof fresh.set === 'function') fresh.set(userIdKey, String(user.id));
  else fresh[userIdKey] = String(user.id);
  await settle((done) => fresh.save(done));
}

/** Logs out: destroys the session in its store, so its cookie no longer authenticates. */
export async function logoutSession(request: AuthRequest): Promise<void> {
  await settle((done) => sessionOf(request).destroy(done));
}
