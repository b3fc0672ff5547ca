import type { ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { AuthConfig } from './auth.config.js';
import { AuthErrorFilter } from './auth-error.filter.js';
import {
  AuthError,
  AuthUnavailableError,
  CredentialsMissingError,
  CsrfFailedError,
  InvalidRequestError,
  PermissionDeniedError,
  TokenExpiredError,
} from './auth.errors.js';

/** What the filter did to the response, through the adapter (Express or Fastify alike). */
interface Sent {
  headers: Record<string, string>;
  body?: unknown;
  status?: number;
}

function filterWith(realm: string): { filter: AuthErrorFilter; sent: Sent; response: object } {
  const response = {};
  const sent: Sent = { headers: {} };
  const adapter = {
    setHeader: (target: unknown, name: string, value: string) => {
      expect(target).toBe(response);
      sent.headers[name] = value;
    },
    reply: (target: unknown, body: unknown, status: number) => {
      expect(target).toBe(response);
      sent.body = body;
      sent.status = status;
    },
  };
  const filter = new AuthErrorFilter({ httpAdapter: adapter } as unknown as HttpAdapterHost, { realm } as AuthConfig);
  return { filter, sent, response };
}

const httpHost = (response: object): ArgumentsHost =>
  ({ getType: () => 'http', switchToHttp: () => ({ getResponse: () => response }) }) as unknown as ArgumentsHost;

describe('AuthErrorFilter: an AuthError becomes the documented response, in one place', () => {
  it.each([
    [new InvalidRequestError(), 400, 'Bearer realm="api", error="invalid_request"'],
    [new CredentialsMissingError(), 401, 'Bearer realm="api"'],
    [new TokenExpiredError(), 401, 'Bearer realm="api", error="invalid_token", error_description="The token has expired"'],
    [new PermissionDeniedError(), 403, undefined],
    [new CsrfFailedError(), 403, undefined],
    [new AuthUnavailableError(undefined, { cause: new Error('redis down') }), 503, undefined],
  ])('%s → %i, WWW-Authenticate %s', (error, status, challenge) => {
    const { filter, sent, response } = filterWith('api');
    filter.catch(error, httpHost(response));
    expect(sent.status).toBe(status);
    expect(sent.body).toEqual({ statusCode: status, error: expect.any(String), message: error.message, code: error.code });
    expect(sent.headers).toEqual(challenge === undefined ? {} : { 'WWW-Authenticate': challenge });
  });

  it('announces the configured realm', () => {
    const { filter, sent, response } = filterWith('billing');
    filter.catch(new CredentialsMissingError(), httpHost(response));
    expect(sent.headers['WWW-Authenticate']).toBe('Bearer realm="billing"');
  });

  it.each(['rpc', 'ws', 'graphql'])('leaves a %s context to its own layer: the same error is rethrown, nothing is sent', (type) => {
    const { filter, sent } = filterWith('api');
    const error = new AuthError(401, 'token_invalid', 'Bad signature', { invalidToken: true });
    const host = {
      getType: () => type,
      switchToHttp: () => expect.unreachable('switchToHttp on a non-HTTP context'),
    } as unknown as ArgumentsHost;
    expect(() => filter.catch(error, host)).toThrow(error);
    expect(sent).toEqual({ headers: {} });
  });
});
