import type { ExecutionContext } from '@nestjs/common';
import { CredentialsMissingError } from '../auth.errors.js';
import type { AuthenticationBackend } from '../backends/authentication-backend.interface.js';
import { JwtAuthentication } from '../backends/jwt.backend.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult } from '../context/request-context.interface.js';
import { requestOf } from '../contexts/request-of.js';
import { rpcGuardCall } from '../contexts/rpc.context.js';
import type { Guard } from './guard.interface.js';

/** What a handler needs, resolved once from its metadata and the module defaults. */
export interface Plan {
  public: boolean;
  backends: readonly AuthenticationBackend[];
  guards: readonly Guard[];
}

/** Who authenticated a request (`null`: nobody); `jwt`: a `JwtAuthentication` (whatever its `name`), for `permissionsFrom: 'user'`. */
export type Authenticated = { result: AuthResult; backend: string; jwt?: boolean } | null;

/** The {@link Authenticated} of a backend's result. */
export function authenticatedBy(result: AuthResult, backend: AuthenticationBackend): Authenticated {
  return { result, backend: backend.name, jwt: backend instanceof JwtAuthentication };
}

/** A handler in a context this module cannot read a credential from: only `@Public()` passes. */
export function publicOnly(plan: Plan, type: string): true {
  if (plan.public) return true;
  throw new CredentialsMissingError(`Authentication credentials cannot be read from a ${type} request`);
}

/**
 * The request the global guard authenticates. A microservice message is read as the transport
 * handed it, never from a carrier kept on a context object the transport may reuse (rpc.context.ts).
 */
export function guardedRequestOf(context: ExecutionContext): AuthRequest | undefined {
  if (context.getType() === 'rpc') rpcGuardCall(context);
  return requestOf(context);
}
