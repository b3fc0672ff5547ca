import type { AuthError } from '../auth.errors.js';

/**
 * A token refusal without a stack trace. A bad token is the client's mistake, not a fault of
 * the server: its `code` and message say all there is. Capturing the stack (V8 walks the frames
 * of the request pipeline) costs more than verifying an HS256 signature, so without this an
 * attacker's forged tokens would cost more to refuse than valid ones to accept.
 *
 * @example
 * ```ts
 * throw refusal(TokenInvalidError);
 * ```
 */
export function refusal<E extends AuthError>(Refusal: new (message?: string) => E, message?: string): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Refusal(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
