import type { ArgumentsHost } from '@nestjs/common';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { wsCarrier } from './ws-handshake.js';
import { sendRefusal } from './ws-refusal.js';

/**
 * The credential carrier of a WebSocket message, from the arguments Nest gives its handler
 * (`[client, data, …]`): a fresh object per message, built from the connection's handshake
 * (its headers, and socket.io's `auth` payload as an `Authorization` header; see
 * ws-handshake.ts). `undefined` for a client of an unknown adapter (the guard then denies all
 * but `@Public()` handlers).
 */
export function wsRequest(args: unknown[]): AuthRequest | undefined {
  for (const arg of args) if (isCarrier(arg)) return arg;
  const carrier = wsCarrier(args[0]);
  if (carrier === undefined) return undefined;
  Object.defineProperty(carrier, BRAND, { value: true });
  // Nest hands the parameter decorators a copy of the call's arguments, made after the guards:
  // the carrier travels in it as one more argument, before the pattern (`getPattern()` reads the last).
  args.splice(Math.max(args.length - 1, 1), 0, carrier);
  return carrier;
}

/** Marks a WebSocket carrier among a call's arguments (payloads are parsed JSON: they never carry a symbol). */
const BRAND = Symbol('warden:ws-carrier');

function isCarrier(value: unknown): value is AuthRequest {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: boolean })[BRAND] === true;
}

/**
 * How a WebSocket client receives an `AuthError` an exception filter renders: socket.io an
 * `exception` event, ws a `{ event: 'exception', data }` message, each with the error's body
 * (with `code`); a refused credential then closes the connection (ws-refusal.ts).
 */
export function wsReply(error: AuthError, host: ArgumentsHost): void {
  sendRefusal(host.switchToWs().getClient<unknown>(), error);
}
