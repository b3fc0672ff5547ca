import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AuthRequest } from '../context/auth-request.interface.js';

/** The members of a `ws` WebSocket this module uses (both drivers serve subscriptions with `ws`). */
export interface WsSocket {
  readonly readyState: number;
  send(data: unknown, ...rest: unknown[]): void;
  close(code?: number, reason?: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** `WebSocket.OPEN` in `ws`. */
export const WS_OPEN = 1;

/** Whether a value is a non-null object (or function). */
export function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * The carrier of a call on a GraphQL WebSocket connection: its credential is the
 * connection's, sent once in `connection_init` (`payload`) or on the upgrade request.
 *
 * Headers are built from the upgrade request's raw headers, then the payload's string
 * fields (`payload.headers` if it is an object, else the payload itself), names lower-cased.
 * `rawHeaders` lists both, so a credential found twice (in the payload and the upgrade
 * request, or under `authorization` and `Authorization`) is refused as 400
 * `invalid_request`, like a header sent twice over HTTP.
 *
 * Cookies are never read here: a browser sends them with a WebSocket opened from any
 * site (cross-site WebSocket hijacking) and no CSRF token can travel with it. For the same
 * reason there is no session. Mercurius copies the payload into the upgrade request's
 * headers; only its untouched `rawHeaders` are read.
 */
export function connectionRequest(payload: unknown, upgrade: IncomingMessage | undefined): AuthRequest {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const rawHeaders: string[] = [];
  const add = (key: string, value: string): void => {
    const name = key.toLowerCase();
    if (name === 'cookie') return;
    rawHeaders.push(name, value);
    headers[name] ??= value;
  };
  const raw = upgrade?.rawHeaders ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i]!, raw[i + 1]!);
  const params =
    isObject(payload) && isObject((payload as { headers?: unknown }).headers) ? (payload as { headers: object }).headers : payload;
  if (isObject(params)) {
    for (const [key, value] of Object.entries(params)) if (typeof value === 'string') add(key, value);
  }
  return { headers: headers as IncomingHttpHeaders, method: 'GET', url: upgrade?.url ?? '/', rawHeaders };
}

/**
 * The `ws` WebSocket that an upgrade request became (Mercurius does not put it in the
 * GraphQL context): `ws` keeps it on the request's socket under its `websocket` symbol.
 */
export function socketOfUpgrade(upgrade: IncomingMessage | undefined): WsSocket | undefined {
  const socket = upgrade?.socket as unknown as Record<symbol, unknown> | undefined;
  if (socket === undefined) return undefined;
  const key = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'websocket');
  const websocket = key === undefined ? undefined : socket[key];
  return isSocket(websocket) ? websocket : undefined;
}

/** Whether a value looks like a `ws` WebSocket. */
export function isSocket(value: unknown): value is WsSocket {
  return (
    isObject(value) &&
    typeof (value as Partial<WsSocket>).send === 'function' &&
    typeof (value as Partial<WsSocket>).close === 'function' &&
    typeof (value as Partial<WsSocket>).readyState === 'number'
  );
}

/** The GraphQL context of one resolver call, as `@nestjs/graphql`'s drivers build it (the fields read here). */
export interface GraphqlContext {
  /** Apollo and Mercurius over HTTP: the adapter's request; Apollo over `graphql-ws`: the connection's context. */
  req?: unknown;
  /** Mercurius over WebSocket: the upgrade request (a Fastify request). */
  request?: unknown;
  /** Mercurius over WebSocket: the `connection_init` payload. */
  _connectionInit?: unknown;
  /** Mercurius over HTTP. */
  reply?: unknown;
}

/** The `graphql-ws` server context (`graphql-ws/use/ws`), which the Apollo driver hands as `req` to subscriptions. */
export interface GraphqlWsContext {
  connectionParams?: unknown;
  extra: { socket?: WsSocket; request?: IncomingMessage };
  /** The connection's operations by id: `null` from their `subscribe` message until their resolver has answered. */
  subscriptions?: Record<string, unknown>;
}

/** Whether the Apollo driver's `req` is a `graphql-ws` connection context. */
export function isGraphqlWsContext(value: unknown): value is GraphqlWsContext {
  // `connectionParams` is set only when the client sent a payload: recognised by its protocol state instead.
  return isObject(value) && 'connectionInitReceived' in value && isObject((value as { extra?: unknown }).extra);
}

/** Whether a value is an adapter's request (Express or Fastify). */
export function isHttpRequest(value: unknown): value is AuthRequest {
  return (
    isObject(value) && isObject((value as { headers?: unknown }).headers) && typeof (value as { method?: unknown }).method === 'string'
  );
}

/** The WebSocket a subscription call runs on, from its resolver arguments; `undefined` for queries and mutations. */
export function subscriptionSocket(args: readonly unknown[]): WsSocket | undefined {
  const info = args[3] as { operation?: { operation?: string } } | undefined;
  if (info?.operation?.operation !== 'subscription') return undefined;
  const context = args[2] as GraphqlContext | undefined;
  if (!isObject(context)) return undefined;
  if (isGraphqlWsContext(context.req)) return context.req.extra.socket;
  if ('_connectionInit' in context && isHttpRequest(context.request)) {
    return socketOfUpgrade((context.request as { raw?: IncomingMessage }).raw);
  }
  return undefined;
}

/** One subscription operation of a connection, as far as its driver lets it be told apart from the others. */
export interface SubscriptionOperation {
  /** The ids it may have (those its events carry); `undefined` when the driver does not say: every event re-checks it. */
  readonly ids: readonly string[] | undefined;
  /** Whether the driver still runs it (not completed by either side). */
  running(): boolean;
}

/**
 * The operation a subscription call belongs to. Mercurius puts the operation's `id` and its
 * own pub/sub context (closed when the operation ends) in the GraphQL context. `graphql-ws`
 * does not tell a resolver its id: the operation is one of those still waiting for their
 * resolver (`null` in the connection's `subscriptions`), exactly one unless several were
 * sent at the same instant; then each is re-checked before the events of all of them,
 * which can only refuse more, never less.
 */
export function subscriptionOperation(args: readonly unknown[]): SubscriptionOperation {
  const context = args[2] as (GraphqlContext & { id?: unknown; pubsub?: unknown }) | undefined;
  if (!isObject(context)) return UNKNOWN_OPERATION;
  if (isGraphqlWsContext(context.req)) {
    const connection = context.req;
    const subscriptions = connection.subscriptions;
    const waiting = isObject(subscriptions) ? Object.keys(subscriptions).filter((id) => subscriptions[id] === null) : [];
    return waiting.length === 0 ? UNKNOWN_OPERATION : new GraphqlWsOperation(connection, waiting);
  }
  const { id, pubsub } = context;
  if ('_connectionInit' in context && (typeof id === 'string' || typeof id === 'number') && isObject(pubsub)) {
    const state = pubsub as { closed?: unknown };
    if (typeof state.closed === 'boolean') return { ids: [String(id)], running: () => state.closed !== true };
  }
  return UNKNOWN_OPERATION;
}

const UNKNOWN_OPERATION: SubscriptionOperation = Object.freeze({ ids: undefined, running: () => true });

class GraphqlWsOperation implements SubscriptionOperation {
  constructor(
    private readonly connection: GraphqlWsContext,
    readonly ids: readonly string[],
  ) {}

  running(): boolean {
    // `graphql-ws` deletes an operation's id when it completes (and replaces the map when the connection closes).
    const current = this.connection.subscriptions;
    return isObject(current) && this.ids.some((id) => id in current);
  }
}
