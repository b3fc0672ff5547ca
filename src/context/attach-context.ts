import type { AuthRequest } from './auth-request.interface.js';
import type { RequestContext } from './request-context.interface.js';
import { activeUser, userFromContext, type LoadUser } from './user-loader.js';

/** Where {@link attachContext} keeps a request's lazy-user state (the `user` accessor reads it). */
const USER_STATE = Symbol('warden:user');

interface UserState {
  context: RequestContext;
  loadUser: LoadUser | undefined;
  user: Promise<unknown> | undefined;
}

/** Where a request whose calls each get their own carrier keeps the users they loaded (see {@link shareUserLoads}). */
const SHARED_USERS = Symbol('warden:shared-users');

type WithUserState = AuthRequest & { [USER_STATE]?: UserState; [SHARED_USERS]?: Map<string, Promise<unknown>> };

/**
 * One accessor pair shared by every request: its state lives on the request under a
 * symbol. Defining `user` with fresh closures and a fresh descriptor per request cost
 * ~2 µs (V8 cannot take its fast path); a constant descriptor costs ~0.25 µs.
 */
const USER_DESCRIPTOR: PropertyDescriptor = Object.freeze({
  configurable: true,
  enumerable: true,
  get(this: WithUserState): Promise<unknown> | undefined {
    const state = this[USER_STATE];
    if (state === undefined) return undefined;
    if (state.user === undefined) state.user = sharedRead(this, state);
    return state.user;
  },
  set(this: WithUserState, value: unknown): void {
    const state = this[USER_STATE];
    if (state !== undefined) state.user = Promise.resolve(value);
  },
});

/**
 * The user, on first read: `null` when anonymous; without a loader, the user the context
 * describes; with one, the loaded user, where `null` is 401 `user_inactive` and a failure
 * 503 (the loader is bound to that policy by `AuthConfig`).
 */
function firstRead({ context, loadUser }: UserState): Promise<unknown> {
  if (context.authBackend === null) return Promise.resolve(null);
  if (loadUser === undefined) return Promise.resolve(userFromContext(context));
  const user = loadUser(context).then(activeUser);
  // Whoever awaits it still gets the rejection; one who only read the property (a log line,
  // a spread of the request) must not leave an unhandled rejection behind.
  user.catch(ignore);
  return user;
}

function ignore(): void {}

/** The first read, shared by the carriers of one request that name the same identity (same backend, same user id). */
function sharedRead(request: WithUserState, state: UserState): Promise<unknown> {
  const shared = request[SHARED_USERS];
  if (shared === undefined || state.loadUser === undefined || state.context.authBackend === null) return firstRead(state);
  const key = `${state.context.authBackend}\u0000${state.context.userId}`;
  let user = shared.get(key);
  if (user === undefined) {
    user = firstRead(state);
    shared.set(key, user);
  }
  return user;
}

/**
 * Lets the carriers made from `request` (objects whose prototype it is, one per GraphQL
 * resolver call) share one user load per identity: `userLoader` runs at most once per request
 * and identity, not once per field. Kept on the request, so it ends with it.
 */
export function shareUserLoads(request: AuthRequest): void {
  if (!Object.prototype.hasOwnProperty.call(request, SHARED_USERS)) {
    Object.defineProperty(request, SHARED_USERS, { value: new Map<string, Promise<unknown>>() });
  }
}

/**
 * Stores the context on the request and defines `request.user` as a lazy, memoised
 * Promise: the loader runs on first read, at most once, and never when nobody reads it.
 */
export function attachContext(request: AuthRequest, context: RequestContext, loadUser: LoadUser | undefined, knownUser?: unknown): void {
  request.context = context;
  (request as WithUserState)[USER_STATE] = {
    context,
    loadUser,
    user: knownUser === undefined ? undefined : Promise.resolve(knownUser),
  };
  Object.defineProperty(request, 'user', USER_DESCRIPTOR);
}
