import type { ArgumentsHost } from '@nestjs/common';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { graphqlRequest } from './graphql.context.js';
import { rpcRequest } from './rpc.context.js';
import { wsRequest } from './ws.context.js';

export { wsGuarded, wsGuarding } from './ws-refusal.js';

/** Where a non-HTTP call's carrier is kept: on the call's own arguments array. */
const CARRIER = Symbol('warden:carrier');

type CallArgs = unknown[] & { [CARRIER]?: AuthRequest | null };

/**
 * The request a credential is read from and `request.context` / `request.user` are set on,
 * for any execution context: the HTTP request itself; for GraphQL, WebSocket and
 * microservice calls, the object that context's reader builds (`undefined` when it cannot
 * read one: the guard then denies all but `@Public()` handlers).
 *
 * A non-HTTP carrier is built once per call and kept on the call's arguments array, which
 * Nest hands unchanged to the guards, pipes, parameter decorators and exception filters of
 * that call, so all of them see one object.
 */
export function requestOf(host: ArgumentsHost): AuthRequest | undefined {
  const type = host.getType<string>();
  if (type === 'http') return host.switchToHttp().getRequest<AuthRequest>();
  const args = host.getArgs() as CallArgs;
  let carrier = args[CARRIER];
  if (carrier === undefined) {
    carrier = readerFor(type)?.(args, host) ?? null;
    Object.defineProperty(args, CARRIER, { value: carrier, configurable: true });
  }
  return carrier ?? undefined;
}

function readerFor(type: string): ((args: unknown[], host: ArgumentsHost) => AuthRequest | undefined) | undefined {
  switch (type) {
    case 'graphql':
      return graphqlRequest;
    case 'ws':
      return wsRequest;
    case 'rpc':
      return rpcRequest;
    default:
      return undefined;
  }
}
