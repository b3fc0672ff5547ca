import type { ArgumentsHost } from '@nestjs/common';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/**
 * The credential carrier of a WebSocket call, from the arguments Nest gives its handler;
 * `undefined` when none can be read (the guard then denies all but `@Public()` handlers).
 */
export function wsRequest(args: unknown[]): AuthRequest | undefined {
  void args;
  return undefined;
}

/** How a WebSocket client receives an `AuthError`: an `exception` event with the error's body (with `code`), as Nest's `WsException` filter sends. */
export function wsReply(error: AuthError, host: ArgumentsHost): void {
  const client = host.switchToWs().getClient<{ emit?: (event: string, body: unknown) => unknown } | undefined>();
  if (typeof client?.emit !== 'function') throw error;
  client.emit('exception', error.toJSON());
}
