import type { ArgumentsHost } from '@nestjs/common';
import { AuthError, type AuthErrorBody } from '../auth.errors.js';
import { isPending } from '../auth.policy.js';

/** Set on a guard call's context while {@link wsGuarded} runs the global guard with it. */
const GUARDING = Symbol('warden:ws-guarding');

type Marked = ArgumentsHost & { [GUARDING]?: true };

/** The part of the global guard {@link wsGuarded} calls. */
interface Activates {
  canActivate(context: ArgumentsHost): boolean | Promise<boolean>;
}

/** Whether the global guard is being run for this WebSocket call by {@link wsGuarded} (it then does its own work). */
export function wsGuarding(context: ArgumentsHost): boolean {
  return (context as Marked)[GUARDING] === true;
}

/**
 * Runs the global guard for one WebSocket message and turns its `AuthError` into what the
 * client reads. Gateways ignore global exception filters (Nest's WebSocket filters are the
 * gateway's own `@UseFilters()` only), and Nest's fallback answers an `AuthError` with a bare
 * "Internal server error": so the refusal becomes a `WsException` carrying the error body
 * (socket.io: an `exception` event; ws: a `{ event: 'exception', data }` message), a
 * socket.io acknowledgement receives that body too, and a refused credential closes the
 * connection (see {@link closeCode}).
 */
export function wsGuarded(context: ArgumentsHost, guard: Activates): boolean | Promise<boolean> {
  Object.defineProperty(context, GUARDING, { value: true, configurable: true });
  let answer: boolean | Promise<boolean>;
  try {
    answer = guard.canActivate(context);
  } catch (error) {
    return refuse(error, context);
  }
  return isPending(answer) ? answer.catch((error: unknown) => refuse(error, context)) : answer;
}

async function refuse(error: unknown, context: ArgumentsHost): Promise<never> {
  if (!(error instanceof AuthError)) throw error;
  // Loaded on a refusal only: the package is an optional peer, present whenever a gateway exists.
  const { WsException } = await import('@nestjs/websockets');
  const body = error.toJSON();
  const [client, , ack] = context.getArgs();
  // After Nest has sent the `exception` message (a few microtasks from here), never before it.
  setImmediate(afterRefusal, client, error, isSocketIo(client) && typeof ack === 'function' ? ack : undefined);
  // It keeps the AuthError's `code`, `getStatus()` and the error itself (`cause`) for an app's own WebSocket filter.
  throw Object.defineProperties(new WsException({ ...body }), {
    cause: { value: error, configurable: true },
    code: { value: error.code, configurable: true },
    getStatus: { value: (): number => error.getStatus(), configurable: true },
  });
}

/**
 * How a refusal reaches a client when an exception filter renders it (`@UseFilters(AuthErrorFilter)`
 * on a gateway): the same message and close as {@link wsGuarded}.
 */
export function sendRefusal(client: unknown, error: AuthError): void {
  const body = error.toJSON();
  if (isNativeWs(client)) {
    if (client.readyState === OPEN) client.send(JSON.stringify({ event: 'exception', data: body }));
  } else if (isSocketIo(client)) {
    client.emit('exception', body);
  } else {
    throw error;
  }
  setImmediate(afterRefusal, client, error, undefined);
}

function afterRefusal(client: unknown, error: AuthError, ack: ((body: AuthErrorBody) => void) | undefined): void {
  ack?.(error.toJSON());
  const code = closeCode(error);
  if (code === undefined) return;
  if (isSocketIo(client)) client.disconnect(true);
  else if (isNativeWs(client) && client.readyState === OPEN) client.close(code, error.code);
}

/**
 * The close code of a refusal that ends the connection: the connection's credential itself is
 * refused (expired, revoked, forged, malformed, sent twice, a cookie from an origin not
 * allowed, a user gone), so no later message could pass. `4000 + status` (4401, 4403, 4400).
 * A missing credential, a permission refused, a step-up asked for (the credential is good, one
 * handler wants a more recent or stronger login) or a store down leave the connection open:
 * other handlers (`@Public()`, or needing less) still answer.
 */
export function closeCode(error: AuthError): number | undefined {
  const status = error.getStatus();
  const closes = (status === 401 && !KEEPS_OPEN.has(error.code)) || error.code === 'csrf_failed' || error.code === 'invalid_request';
  return closes ? 4000 + status : undefined;
}

/** The 401 refusals that say nothing against the connection's credential itself. */
const KEEPS_OPEN: ReadonlySet<string> = new Set(['credentials_missing', 'insufficient_user_authentication']);

/** `WebSocket.OPEN`. */
const OPEN = 1;

interface NativeWs {
  readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

interface SocketIoSocket {
  handshake: unknown;
  emit(event: string, body: unknown): unknown;
  disconnect(close: boolean): unknown;
}

function isNativeWs(client: unknown): client is NativeWs {
  const c = client as Partial<NativeWs> | null;
  return (
    typeof c === 'object' && c !== null && typeof c.readyState === 'number' && typeof c.send === 'function' && typeof c.close === 'function'
  );
}

function isSocketIo(client: unknown): client is SocketIoSocket {
  const c = client as Partial<SocketIoSocket> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.handshake === 'object' &&
    typeof c.emit === 'function' &&
    typeof c.disconnect === 'function'
  );
}
