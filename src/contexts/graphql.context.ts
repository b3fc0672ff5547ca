import type { ArgumentsHost } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuthError } from '../auth.errors.js';
import { shareUserLoads } from '../context/attach-context.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import {
  connectionRequest,
  isGraphqlWsContext,
  isHttpRequest,
  isObject,
  subscriptionSocket,
  type GraphqlContext,
} from './graphql-connection.js';
import { refuseConnection } from './graphql-subscription.js';

/**
 * The credential carrier of a GraphQL call, from the arguments Nest gives its resolver
 * (`[root, args, context, info]`); `undefined` when none can be read (the guard then denies
 * all but `@Public()` resolvers).
 *
 * Over HTTP both drivers put the adapter's request in the context as `req` without any
 * wiring (Apollo: `{ req }` from its context function or added to the app's own; Mercurius:
 * the same, merged into its context). Each resolver call gets its own carrier, an object
 * whose prototype is that request: a query that mixes a `@Public()` field with protected
 * ones (or fields with different `@Auth()` backends) runs each field's plan on its own
 * `request.context`, never on one a sibling field left on the shared request. The carriers
 * share the user they load (by backend and user id): `userLoader` runs once per request.
 *
 * Over WebSocket (subscriptions) the credential is the connection's: the `connection_init`
 * payload (its `headers` object if it has one, else the payload itself; keys read as header
 * names, so `{ authorization: 'Bearer …' }` or `{ 'x-api-key': … }`) and the upgrade
 * request's headers, never its cookies (see `connectionRequest`).
 */
export function graphqlRequest(args: unknown[]): AuthRequest | undefined {
  // Nest hands the guards and the parameter decorators of one resolver call different
  // arrays, but the same `info` (graphql-js makes one per field call): the carrier is kept there.
  const info = args[3] as { [CARRIER]?: AuthRequest } | undefined;
  if (!isObject(info)) return readRequest(args);
  let carrier = info[CARRIER];
  if (carrier === undefined) {
    carrier = readRequest(args);
    if (carrier !== undefined) Object.defineProperty(info, CARRIER, { value: carrier, configurable: true });
  }
  return carrier;
}

const CARRIER = Symbol('warden:graphql-carrier');

function readRequest(args: unknown[]): AuthRequest | undefined {
  const context = args[2] as GraphqlContext | undefined;
  if (!isObject(context)) return undefined;
  const { req } = context;
  if (isGraphqlWsContext(req)) return connectionRequest(req.connectionParams, req.extra.request);
  // Mercurius keeps the WebSocket's `connection_init` payload here; its `request` is the upgrade request.
  if ('_connectionInit' in context && isHttpRequest(context.request)) {
    return connectionRequest(context._connectionInit, context.request.raw as IncomingMessage | undefined);
  }
  if (isHttpRequest(req)) {
    // One request, however many fields: `userLoader` runs once per identity, not per carrier.
    shareUserLoads(req);
    return Object.create(req) as AuthRequest;
  }
  return undefined;
}

/**
 * How a GraphQL caller receives an `AuthError`: a GraphQL error whose `extensions` carry
 * `code` (ours) and `status`; the message is the error's, which never holds the credential.
 * Thrown, it becomes an entry of the response's `errors` (the field is `null`).
 *
 * The HTTP status where the driver takes it: Mercurius uses the error's `statusCode` when the
 * response has no data and one error; Apollo reads `extensions.http` (and drops it from the
 * response), though `@nestjs/apollo` resets a response with `data` to 200 unless
 * `preserveHttpStatusForExecutionErrors: false`.
 *
 * A subscription refused because its connection's credential is missing or bad (401, 400)
 * also closes the connection: 4401 (4400 for a credential sent twice) with our code as
 * the close reason, since every operation on it carries the same credential. A refusal of
 * the operation only (403, 503) leaves the connection open.
 */
export function graphqlReply(error: AuthError, host?: ArgumentsHost): never {
  const args = host?.getArgs() ?? [];
  const socket = subscriptionSocket(args);
  if (socket !== undefined) refuseConnection(socket, error);
  throw graphqlError(error, socket === undefined && !isMercurius(args[2]));
}

/** The error object both drivers read: `extensions` are copied by graphql-js onto the `GraphQLError` it makes. */
export class GraphqlAuthError extends Error {
  readonly extensions: Record<string, unknown>;
  /** Mercurius' status for a response without data. */
  readonly statusCode: number;

  constructor(error: AuthError, withHttp: boolean) {
    super(error.message);
    this.name = 'GraphqlAuthError';
    const status = error.getStatus();
    this.statusCode = status;
    this.extensions = withHttp ? { code: error.code, status, http: { status } } : { code: error.code, status };
  }
}

function graphqlError(error: AuthError, withHttp: boolean): GraphqlAuthError {
  return new GraphqlAuthError(error, withHttp);
}

/** Mercurius' HTTP context: it has its Fastify `reply` and the app beside `req`. */
function isMercurius(context: unknown): boolean {
  return isObject(context) && isObject((context as GraphqlContext).reply) && 'app' in context;
}
