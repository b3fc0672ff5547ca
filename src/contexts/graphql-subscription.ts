import type { ExecutionContext } from '@nestjs/common';
import { AuthError, PermissionDeniedError } from '../auth.errors.js';
import { andThen, isPending, type MaybePromise } from '../auth.policy.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { subscriptionOperation, subscriptionSocket, WS_OPEN, type SubscriptionOperation, type WsSocket } from './graphql-connection.js';

/** Runs the subscription's plan again on its carrier: `true`, or throws the refusal. */
export type Recheck = () => MaybePromise<boolean>;

/** One subscription the guard let through, watched until it completes or its connection closes. */
interface Watched {
  request: AuthRequest;
  recheck: Recheck;
  timer: NodeJS.Timeout | undefined;
  operation: SubscriptionOperation;
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
/**
 * Running subscriptions per connection. Past it a new subscription is refused (403
 * `permission_denied`, the connection stays open), never an older one forgotten: a
 * forgotten one would no longer be re-checked.
 */
export const MAX_SUBSCRIPTIONS = 64;

/**
 * The global guard's answer for a GraphQL call, with subscriptions kept honest: once a
 * subscription over a WebSocket is allowed, its plan runs again (same backends, guards
 * and permissions, on the same credential) before each of its own events is sent and when
 * the token expires, until it completes (see `subscriptionOperation`). A token that expired
 * or was revoked in the meantime closes the connection with our code as the close reason
 * (4401; 4403 for a refusal such as `permission_denied`; 1011 for `auth_unavailable`) and
 * the event is not sent.
 */
export function watchGraphql(
  verdict: MaybePromise<boolean>,
  context: ExecutionContext,
  request: AuthRequest,
  recheck: Recheck,
): MaybePromise<boolean> {
  const socket = subscriptionSocket(context.getArgs());
  if (socket === undefined) return verdict;
  const operation = subscriptionOperation(context.getArgs());
  return andThen(verdict, watchWhenAllowed, socket, { request, recheck, timer: undefined, operation });
}

function watchWhenAllowed(allowed: boolean, socket: WsSocket, watched: Watched): boolean {
  if (!allowed || socket.readyState !== WS_OPEN) return allowed;
  const watch = watchOf(socket);
  for (const other of watch.subscriptions) if (!other.operation.running()) forget(watch, other);
  if (watch.subscriptions.size >= MAX_SUBSCRIPTIONS) {
    throw new PermissionDeniedError(
      `This connection already runs ${MAX_SUBSCRIPTIONS} subscriptions: complete one before starting another`,
    );
  }
  watch.subscriptions.add(watched);
  scheduleExpiry(socket, watch, watched);
  return allowed;
}

function forget(watch: Watch, watched: Watched): void {
  clearTimeout(watched.timer);
  watch.subscriptions.delete(watched);
}

/**
 * Closes a subscription's connection when its credential is refused (401: missing, bad,
 * expired, revoked; 400: sent twice): every operation on it carries that credential, so
 * the client must reconnect with another. A 403 or 503 refuses the one operation only, and
 * so does a step-up refusal (401 `insufficient_user_authentication`): the credential is
 * good, only this operation asks for a more recent or stronger login.
 */
export function refuseConnection(socket: WsSocket, error: AuthError): void {
  const status = error.getStatus();
  if (error.code === 'insufficient_user_authentication') return;
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
    const event = eventOf(data);
    if (created.queue === undefined && event === undefined) return forward();
    const verdict = event === undefined ? undefined : recheckFor(created, event);
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
    for (const watched of created.subscriptions) forget(created, watched);
  });
  return created;
}

/** `{"id":…,"type":"next",…}` (graphql-ws) or `{"type":"data","id":…,…}` (Mercurius, either protocol). */
const EVENT_HEAD = /^\{(?:"id":("(?:[^"\\]|\\.)*"|\d+),"type":"(?:next|data)"|"type":"(?:next|data)","id":("(?:[^"\\]|\\.)*"|\d+))[,}]/;

/**
 * An outgoing subscription result's operation id; `null` for what looks like a result whose
 * id cannot be read (every subscription is then re-checked); `undefined` for anything else.
 */
function eventOf(data: unknown): string | null | undefined {
  if (typeof data !== 'string') return undefined;
  const head = EVENT_HEAD.exec(data);
  if (head !== null) return String(JSON.parse((head[1] ?? head[2])!));
  return data.includes('"type":"next"') || data.includes('"type":"data"') ? null : undefined;
}

/**
 * Re-checks the subscription an event belongs to (each one that may be it): `true`, a
 * refusal (an error value), or a Promise of either. Completed ones are forgotten on the way;
 * one whose own event is still on its way out is checked all the same.
 */
function recheckFor(watch: Watch, event: string | null): MaybePromise<true | unknown> {
  const pending: Promise<unknown>[] = [];
  for (const watched of watch.subscriptions) {
    const ids = watched.operation.ids;
    if (event !== null && ids !== undefined && !ids.includes(event)) {
      if (!watched.operation.running()) forget(watch, watched);
      continue;
    }
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
function scheduleExpiry(socket: WsSocket, watch: Watch, watched: Watched, delay?: number): void {
  clearTimeout(watched.timer);
  const claim = watched.request.context?.claims.exp;
  const exp = typeof claim === 'number' ? claim : undefined;
  if (delay === undefined && exp === undefined) return;
  const wait = delay ?? Math.min(MAX_DELAY, Math.max(0, exp! * 1000 - Date.now()));
  watched.timer = setTimeout(() => {
    if (!watched.operation.running()) return forget(watch, watched);
    let answer: MaybePromise<boolean>;
    try {
      answer = watched.recheck();
    } catch (error) {
      return closeFor(socket, error);
    }
    void Promise.resolve(answer).then(
      () => {
        if (watch.subscriptions.has(watched))
          scheduleExpiry(socket, watch, watched, exp !== undefined && exp * 1000 > Date.now() ? undefined : RETRY_MS);
      },
      (error: unknown) => closeFor(socket, error),
    );
  }, wait);
  watched.timer.unref();
}
