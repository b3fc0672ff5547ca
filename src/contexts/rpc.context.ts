import { throwError, type Observable } from 'rxjs';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/**
 * The credential carrier of a microservice call, from the arguments Nest gives its handler;
 * `undefined` when none can be read (the guard then denies all but `@Public()` handlers).
 */
export function rpcRequest(args: unknown[]): AuthRequest | undefined {
  void args;
  return undefined;
}

/**
 * How a microservice caller receives an `AuthError`: as Nest's own filters answer an
 * `RpcException` carrying an object, the client's Observable errors with the error's body
 * (with `code`) instead of a generic error.
 */
export function rpcReply(error: AuthError): Observable<never> {
  return throwError(() => error.toJSON());
}
