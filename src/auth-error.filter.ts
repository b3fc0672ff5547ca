import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { AuthConfig } from './auth.config.js';
import { AuthError, InsufficientUserAuthenticationError } from './auth.errors.js';
import { observeRefusal } from './events/request-observer.js';
import { graphqlReply } from './contexts/graphql.context.js';
import { rpcReply } from './contexts/rpc.context.js';
import { wsReply } from './contexts/ws.context.js';

/**
 * Turns every `AuthError` into the documented response in one place: the JSON body with
 * `code`, and `WWW-Authenticate` (RFC 6750 §3) on 401 and 400 answers. A microservice
 * caller receives the same body as its error, a WebSocket client as an `exception` event.
 */
@Catch(AuthError)
export class AuthErrorFilter implements ExceptionFilter<AuthError> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AuthConfig,
  ) {}

  catch(error: AuthError, host: ArgumentsHost): void | Observable<never> {
    observeRefusal(this.config.events, error, host);
    const type = host.getType<string>();
    // Outside HTTP, each context answers the way its callers read errors (see src/contexts/).
    if (type === 'rpc') return rpcReply(error, host);
    if (type === 'ws') return wsReply(error, host);
    if (type === 'graphql') return graphqlReply(error, host);
    if (type !== 'http') throw error;
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    const status = error.getStatus();
    const challenge = challengeFor(error, this.config.realm);
    if (challenge !== undefined) adapter.setHeader(response, 'WWW-Authenticate', challenge);
    adapter.reply(response, error.toJSON(), status);
  }
}

/** The RFC 6750 challenge for an error, or `undefined` when none belongs on it. */
export function challengeFor(error: AuthError, realm: string): string | undefined {
  const status = error.getStatus();
  if (status !== 401 && status !== 400) return undefined;
  let challenge = `Bearer realm="${quote(realm)}"`;
  if (status === 400) challenge += ', error="invalid_request"';
  else if (error instanceof InsufficientUserAuthenticationError) challenge += stepUpParameters(error);
  else if (error.invalidToken) challenge += `, error="invalid_token", error_description="${quote(error.message)}"`;
  return challenge;
}

/** RFC 9470 §3: the step-up error, and the `max_age` or `acr_values` that would satisfy the route. */
function stepUpParameters(error: InsufficientUserAuthenticationError): string {
  const { maxAge, acrValues } = error.stepUp;
  let parameters = `, error="insufficient_user_authentication", error_description="${quote(error.message)}"`;
  if (maxAge !== undefined) parameters += `, max_age=${Math.max(0, Math.floor(maxAge))}`;
  if (acrValues !== undefined && acrValues.length > 0) parameters += `, acr_values="${quote(acrValues.join(' '))}"`;
  return parameters;
}

/** RFC 6750 §3: error_description is limited to printable ASCII without `"` and `\`. */
function quote(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
