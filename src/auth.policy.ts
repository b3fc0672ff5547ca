import { AuthError, AuthUnavailableError, CredentialsMissingError, PermissionDeniedError } from './auth.errors.js';
import type { RequestContext } from './context/request-context.interface.js';

/**
 * The request path's rules that several places apply, each written once (STYLE rule 15):
 * how a sync-or-Promise answer is composed, what a store failure becomes, and whether a
 * refusal is a 401 or a 403. Call these; never restate them.
 */

/** A value now, or a Promise of it: what backends, stores and loaders may answer. */
export type MaybePromise<T> = T | Promise<T>;

/** Whether an answer is still pending (the one place the request path tells the two apart). */
export function isPending<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/**
 * Applies `next` to `value`: at once when it is a plain value (no Promise, no closure, no
 * allocation: the hot path stays synchronous), else once it resolves. The extra arguments
 * are handed to `next` as they are, so a caller passes a function made once instead of a
 * closure made per request. (Not named `then`: a module that exports `then` is a thenable,
 * and `await import()` of it would call it.)
 */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => R): R | Promise<Awaited<R>>;
export function andThen<T, A, R>(value: MaybePromise<T>, next: (value: T, a: A) => R, a: A): R | Promise<Awaited<R>>;
export function andThen<T, A, B, R>(value: MaybePromise<T>, next: (value: T, a: A, b: B) => R, a: A, b: B): R | Promise<Awaited<R>>;
export function andThen<T, A, B, C, R>(
  value: MaybePromise<T>,
  next: (value: T, a: A, b: B, c: C) => R,
  a: A,
  b: B,
  c: C,
): R | Promise<Awaited<R>>;
export function andThen<T, A, B, C, R>(
  value: MaybePromise<T>,
  next: (value: T, a?: A, b?: B, c?: C) => R,
  a?: A,
  b?: B,
  c?: C,
): R | Promise<Awaited<R>> {
  if (value instanceof Promise) return value.then((ready: T) => next(ready, a, b, c)) as Promise<Awaited<R>>;
  return next(value, a, b, c);
}

/**
 * Store failure → 503 `auth_unavailable` (fail closed). An `AuthError` is a decision, not a
 * failure, and passes as it is; anything else a store, loader or strategy throws becomes
 * `AuthUnavailableError` with the original kept as `cause` (never sent to the client).
 *
 * @param what the message, e.g. `'The revocation store did not answer'`.
 */
export function unavailable(error: unknown, what: string): AuthError {
  return error instanceof AuthError ? error : new AuthUnavailableError(what, { cause: error });
}

/**
 * Asks a store (or loader, or validator) through {@link unavailable}: a synchronous throw and
 * a rejection both become 503 `auth_unavailable`. A plain answer is returned as it is, with
 * no Promise made. The arguments are handed to `question`, so a caller on the hot path passes
 * a function made once rather than a closure made per request.
 *
 * @example
 * ```ts
 * ask('The revocation store did not answer', (store, query) => store.isRevoked(query), store, query)
 * ```
 */
export function ask<T>(what: string, question: () => MaybePromise<T>): MaybePromise<T>;
export function ask<T, A>(what: string, question: (a: A) => MaybePromise<T>, a: A): MaybePromise<T>;
export function ask<T, A, B>(what: string, question: (a: A, b: B) => MaybePromise<T>, a: A, b: B): MaybePromise<T>;
export function ask<T, A, B>(what: string, question: (a?: A, b?: B) => MaybePromise<T>, a?: A, b?: B): MaybePromise<T> {
  let answer: MaybePromise<T>;
  try {
    answer = question(a, b);
  } catch (error) {
    throw unavailable(error, what);
  }
  if (!(answer instanceof Promise)) return answer;
  return answer.catch((error: unknown) => {
    throw unavailable(error, what);
  });
}

/**
 * Like {@link ask}, and the answer must come within `timeoutMs`: a store that never settles
 * is a store that is down (503), not a request that hangs. The timer does not keep the
 * process alive and is cleared as soon as the answer comes.
 */
export function askWithin<T>(question: () => MaybePromise<T>, timeoutMs: number, what: string): MaybePromise<T> {
  const answer = ask(what, question);
  if (!(answer instanceof Promise)) return answer;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AuthUnavailableError(`${what} in time (${timeoutMs} ms)`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

/** A context no backend authenticated. */
type AnonymousContext = RequestContext & { authBackend: null };

/** Whether a request is anonymous: no context yet, or no backend authenticated it. */
export function isAnonymous(context: RequestContext | undefined): context is AnonymousContext | undefined {
  return context === undefined || context.authBackend === null;
}

/** A guard said no: 401 `credentials_missing` when the request is anonymous, 403 `permission_denied` otherwise. */
export function refusal(context: RequestContext | undefined): AuthError {
  return isAnonymous(context) ? new CredentialsMissingError() : new PermissionDeniedError();
}
