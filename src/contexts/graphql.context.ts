import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/**
 * The credential carrier of a GraphQL call, from the arguments Nest gives its handler;
 * `undefined` when none can be read (the guard then denies all but `@Public()` handlers).
 */
export function graphqlRequest(args: unknown[]): AuthRequest | undefined {
  void args;
  return undefined;
}

/** How a GraphQL caller receives an `AuthError`: the driver's own error formatting takes the thrown error. */
export function graphqlReply(error: AuthError): never {
  throw error;
}
