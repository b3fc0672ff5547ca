import type { ExecutionContext } from '@nestjs/common';
import { AuthError } from '../auth.errors.js';
import { andThen, isPending, type MaybePromise } from '../auth.policy.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { subscriptionSocket, WS_OPEN, type WsSocket } from './graphql-connection.js';

/** Runs the subscription's plan again on its carrier: `true`, or throws the refusal. */
export type Recheck = () => MaybePromise<boolean>;

/** One subscription the guard let through, watched for as long as its connection lives. */
interface Watched {
  request: AuthRequest;
  recheck: Recheck;
  timer: NodeJS.Timeout | undefined;
}

/** What is kept on a watched connection (on the socket itself, under a symbol: no module state). */
interface Watch {
  subscriptions: Set<Watched>;
  /** Sends waiting for an asynchronous re-check, in order. */
  queue: Promise<void> | undefined;
}

const WATCH = Symbol('warden:graphql-watch');
type WatchedSocket = WsSocket & { [WATCH]?: Watch };

/** The longest delay `setTimeout` keeps (about 24.8 days). */
const MAX_DELAY = 2 ** 31 - 1;
/** After a re-check at `exp` that still passed (the backend's leeway), the next one. */
const RETRY_MS = 1000;
/** Subscriptions watched per connection. */
const MAX_WATCHED = 16;

/**
 * The global guard's answer for a GraphQL call, with subscriptions kept honest: once a
 * subscription over a WebSocket is allowed, its plan runs again (same backends, guards
 * and permissions, on the same credential) before each event is sent and when the token
 * expires. A token that expired or was revoked in the meantime closes the connection with
 * our code as the close reason (4401; 4403 for a refusal such as `permission_denied`;
 * 1011 for `auth_unavailable`) and the event is not sent.
 */
export function watchGraphql(
  verdict: MaybePromise<boolean>,
  context: ExecutionContext,
  request: AuthRequest,
  recheck: Recheck,
): MaybePromise<boolean> {
  const socket = subscriptionSocket(context.getArgs());
  if (socket === undefined) return verdict;
  return andThen(verdict, watchWhenAllowed, socket, { request, recheck, timer: undefined });
}

function watchWhenAllowed(allowed: boolean, socket: WsSocket, watched: Watched): boolean {
  if (!allowed || socket.readyState !== WS_OPEN) return allowed;
  const watch = watchOf(socket);
  // Completed subscriptions are not reported to a guard: keep the latest few (they share the
  // connection's credential), so a long-lived connection does not grow without bound.
  if (watch.subscriptions.size >= MAX_WATCHED) {
    const oldest = watch.subscriptions.values().next().value!;
    clearTimeout(oldest.timer);
    watch.subscriptions.delete(oldest);
  }
  watch.subscriptions.add(watched);
  scheduleExpiry(socket, watched);
  return allowed;
}

/**
 * Closes a subscription's connection when its credential is refused (401: missing, bad,
 * expired, revoked; 400: sent twice): every operation on it carries that credential, so
 * the client must reconnect with another. A 403 or 503 refuses the one operation only.
 */
export function refuseConnection(socket: WsSocket, error: AuthError): void {
  const status = error.getStatus();
  if (status === 401 || status === 400) close(socket, status === 401 ? 4401 : 4400, error.code);
}

function watchOf(socket: WatchedSocket): Watch {
  let watch = socket[WATCH];
  if (watch !== undefined) return watch;
  const created: Watch = { subscriptions: new Set(), queue: undefined };
  watch = created;
  socket[WATCH] = created;
  const send = socket.send;
  // The one place every event of this connection goes through, whichever driver sends it.
  socket.send = function sendChecked(this: WsSocket, data: unknown, ...rest: unknown[]): void {
    const forward = (): void => send.call(socket, data, ...rest);
    if (created.queue === undefined && !isEvent(data)) return forward();
    const verdict = isEvent(data) ? recheckAll(created) : undefined;
    if (created.queue === undefined && !isPending(verdict)) {
      if (verdict === undefined || verdict === true) return forward();
      return drop(socket, verdict, rest);
    }
    const queued = (created.queue ?? Promise.resolve())
      .then(() => verdict)
      .then(
        (answer) => (answer === undefined || answer === true ? forward() : drop(socket, answer, rest)),
        (error: unknown) => drop(socket, error, rest),
      );
    created.queue = queued;
    const settle = (): void => {
      if (created.queue === queued) created.queue = undefined;
    };
    queued.then(settle, settle);
  };
  socket.once('close', () => {
    for (const watched of created.subscriptions) clearTimeout(watched.timer);
    created.subscriptions.clear();
  });
  return created;
}

/** An outgoing subscription result: `next` (graphql-ws protocol) or `data` (the legacy one Mercurius also speaks). */
function isEvent(data: unknown): boolean {
  return typeof data === 'string' && (data.includes('"type":"next"') || data.includes('"type":"data"'));
}

/** Re-checks every watched subscription of the connection: `true`, a refusal (an error value), or a Promise of either. */
function recheckAll(watch: Watch): MaybePromise<true | unknown> {
  const pending: Promise<unknown>[] = [];
  for (const watched of watch.subscriptions) {
    try {
      const answer = watched.recheck();
      if (isPending(answer)) pending.push(answer);
    } catch (error) {
      return error;
    }
  }
  if (pending.length === 0) return true;
  return Promise.all(pending).then(
    () => true,
    (error: unknown) => error,
  );
}

/** Refuses an event: the connection closes with the refusal's code; the sender's callback still runs. */
function drop(socket: WsSocket, error: unknown, rest: unknown[]): void {
  closeFor(socket, error);
  const callback = rest[rest.length - 1];
  if (typeof callback === 'function') (callback as () => void)();
}

function closeFor(socket: WsSocket, error: unknown): void {
  if (error instanceof AuthError) {
    const status = error.getStatus();
    close(socket, status === 401 ? 4401 : status === 400 ? 4400 : status === 403 ? 4403 : 1011, error.code);
  } else {
    close(socket, 1011, 'auth_unavailable');
  }
}

function close(socket: WsSocket, code: number, reason: string): void {
  if (socket.readyState === WS_OPEN) socket.close(code, reason);
}

/** At the token's `exp`, the plan runs again: an idle subscription is closed when its token expires. */
function scheduleExpiry(socket: WsSocket, watched: Watched, delay?: number): void {
  clearTimeout(watched.timer);
  const claim = watched.request.context?.claims.exp;
  const exp = typeof claim === 'number' ? claim : undefined;
  if (delay === undefined && exp === undefined) return;
  const wait = delay ?? Math.min(MAX_DELAY, Math.max(0, exp! * 1000 - Date.now()));
  watched.timer = setTimeout(() => {
    let answer: MaybePromise<boolean>;
    try {
      answer = watched.recheck();
    } catch (error) {
      return closeFor(socket, error);
    }
    void Promise.resolve(answer).then(
      () => scheduleExpiry(socket, watched, exp !== undefined && exp * 1000 > Date.now() ? undefined : RETRY_MS),
      (error: unknown) => closeFor(socket, error),
    );
  }, wait);
  watched.timer.unref();
}
