import { Logger, type ArgumentsHost } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { InvalidRequestError, TokenMalformedError, type AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { readEnvelope } from './rpc-envelope.js';

/** One message as this module reads it: its carrier, and what a refusal's log line says. */
interface RpcCall {
  carrier: AuthRequest;
  pattern: string;
  event: boolean;
  /** The message as the transport handed it (the envelope), which the call belongs to. */
  message: unknown;
  /** What the handler receives: the envelope's `data`, else the message itself. */
  data: unknown;
}

/**
 * Where a message's call is kept: on the transport's context object (`args[1]`), else on the
 * arguments array. Nest hands a microservice handler's guards, parameter decorators and
 * exception filters copies of the arguments array, not one array; the context object in each
 * copy is the same, and so it is for every `@EventPattern` handler of one event. A call is
 * only ever reused for the message it was read from (see {@link rpcRequest}).
 */
const CALL = Symbol('warden:rpc-call');
type CallHolder = object & { [CALL]?: RpcCall };

/** Set by the global guard on its own context: the first read of a message by a handler (see {@link rpcGuardCall}). */
const GUARD_CALL = Symbol('warden:rpc-guard-call');

function holderOf(args: unknown[]): CallHolder {
  return typeof args[1] === 'object' && args[1] !== null ? args[1] : args;
}

// @nestjs/microservices' own metadata keys, read as strings so that the package is never loaded.
const PATTERN_METADATA = 'microservices:pattern';
const HANDLER_TYPE_METADATA = 'microservices:handler_type';
const EVENT_HANDLER = 2;

const logger = new Logger('AuthModule');

/**
 * The credential carrier of a microservice call (`args` = `[data, ctx]` as Nest gives a
 * `@MessagePattern` / `@EventPattern` handler): the headers of the message's
 * `withCredentials()` envelope, none for a bare message (denied unless `@Public()`).
 *
 * The envelope is unwrapped in place: `args[0]` becomes its `data`, so `@Payload()` and the
 * handler see what the client wrapped. An envelope whose credential cannot be trusted (not an
 * object of strings, too long, unknown keys) still hands over its `data`, and any backend that
 * reads its headers gets 401 `token_malformed` (400 `invalid_request` for a header given
 * twice): only a `@Public()` handler, which runs no backend, is answered.
 */
export function rpcRequest(args: unknown[], host?: ArgumentsHost): AuthRequest {
  const holder = holderOf(args);
  const known = holder[CALL];
  if (known !== undefined && args[0] === known.message) {
    // The same message handed to another handler of its event (or to a filter): same carrier, its payload unwrapped too.
    args[0] = known.data;
    return known.carrier;
  }
  // A copy of arguments already unwrapped (a parameter decorator's). Never for the global guard: it reads each
  // message as it arrived, so a transport that reuses one context object never lends a caller's carrier to the next.
  if (known !== undefined && args[0] === known.data && !isGuardCall(host)) return known.carrier;
  const handler = (host as { getHandler?: () => unknown } | undefined)?.getHandler?.();
  const pattern = patternOf(args[1], handler);
  const carrier: AuthRequest = { method: 'RPC', url: pattern, headers: {} };
  const event = typeof handler === 'function' && Reflect.getMetadata(HANDLER_TYPE_METADATA, handler) === EVENT_HANDLER;
  const message = args[0];
  const envelope = readEnvelope(message);
  const call: RpcCall = { carrier, pattern, event, message, data: envelope === undefined ? message : envelope.data };
  Object.defineProperty(holder, CALL, { value: call, configurable: true });
  if (envelope === undefined) return carrier;
  args[0] = envelope.data;
  if ('headers' in envelope) {
    carrier.headers = envelope.headers;
    return carrier;
  }
  const { problem, twice } = envelope;
  Object.defineProperty(carrier, 'headers', {
    enumerable: true,
    get: (): never => {
      throw twice === true ? new InvalidRequestError(problem) : new TokenMalformedError(`Malformed credential envelope: ${problem}`);
    },
  });
  return carrier;
}

/**
 * Marks the global guard's own execution context before it reads a microservice call's
 * carrier: that read always starts from the message the transport handed over.
 */
export function rpcGuardCall(host: ArgumentsHost): void {
  Object.defineProperty(host, GUARD_CALL, { value: true, configurable: true });
}

function isGuardCall(host: ArgumentsHost | undefined): boolean {
  return (host as { [GUARD_CALL]?: true } | undefined)?.[GUARD_CALL] === true;
}

/**
 * How a microservice caller receives an `AuthError`: as Nest's own filters answer an
 * `RpcException` carrying an object, the client's Observable errors with the error's body
 * (with `code`) instead of a generic error. An event has no reply, so its refusal is logged
 * (the pattern and the code, never the credential).
 */
export function rpcReply(error: AuthError, host?: ArgumentsHost): Observable<never> {
  const call = host === undefined ? undefined : holderOf(host.getArgs())[CALL];
  if (call?.event === true) {
    logger.warn(`Event ${call.pattern} refused: ${error.getStatus()} ${error.code} (${error.message}); its handler did not run`);
  }
  return throwError(() => error.toJSON());
}

/** The pattern as the transport's context gives it (TCP, RMQ: `getPattern()`; Redis: `getChannel()`), else the handler's. */
function patternOf(context: unknown, handler: unknown): string {
  const ctx = context as { getPattern?: () => unknown; getChannel?: () => unknown; getSubject?: () => unknown } | null | undefined;
  const named: unknown = ctx?.getPattern?.() ?? ctx?.getChannel?.() ?? ctx?.getSubject?.();
  const pattern: unknown =
    named ?? (typeof handler === 'function' ? (Reflect.getMetadata(PATTERN_METADATA, handler) as unknown[] | undefined)?.[0] : undefined);
  const text = typeof pattern === 'string' ? pattern : (JSON.stringify(pattern) ?? 'unknown');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
