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

  // rpc, ws and graphql are answered in their own shape: see 'AuthErrorFilter outside HTTP' below.
  it('leaves an unknown context to its own layer: the same error is rethrown, nothing is sent', () => {
    const { filter, sent } = filterWith('api');
    const error = new AuthError(401, 'token_invalid', 'Bad signature', { invalidToken: true });
    const host = {
      getType: () => 'other',
      getArgs: () => [],
      switchToHttp: () => expect.unreachable('switchToHttp on a non-HTTP context'),
    } as unknown as ArgumentsHost;
    expect(() => filter.catch(error, host)).toThrow(error);
    expect(sent).toEqual({ headers: {} });
  });

  it('graphql: a GraphQL error whose extensions carry our code and status (graphql-js copies them), nothing sent', () => {
    const { filter, sent } = filterWith('api');
    const host = { getType: () => 'graphql', getArgs: () => [{}, {}, {}, {}] } as unknown as ArgumentsHost;
    let thrown: unknown;
    try {
      filter.catch(new AuthError(401, 'token_invalid', 'Bad signature', { invalidToken: true }), host);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe('Bad signature');
    expect((thrown as { extensions: Record<string, unknown> }).extensions).toMatchObject({ code: 'token_invalid', status: 401 });
    expect(sent).toEqual({ headers: {} });
  });
});

describe('AuthErrorFilter outside HTTP: the caller gets the body with `code`, nothing crashes', () => {
  it('rpc: an errored Observable carrying the body (what a microservice client receives as its error)', async () => {
    const { filter, sent } = filterWith('api');
    const host = { getType: () => 'rpc', getArgs: () => [{}, {}] } as unknown as ArgumentsHost;
    const answer = filter.catch(new CredentialsMissingError(), host);
    const { lastValueFrom } = await import('rxjs');
    await expect(lastValueFrom(answer!)).rejects.toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Authentication credentials were not provided',
      code: 'credentials_missing',
    });
    expect(sent).toEqual({ headers: {} });
  });

  it("ws: an 'exception' event with the body on the client socket", () => {
    const { filter } = filterWith('api');
    const emitted: unknown[][] = [];
    // A socket.io socket: a handshake, emit() and disconnect() (a permission refusal keeps it open).
    const client = { handshake: {}, emit: (...args: unknown[]) => emitted.push(args), disconnect: () => expect.unreachable('disconnect') };
    const host = {
      getType: () => 'ws',
      getArgs: () => [client, {}],
      switchToWs: () => ({ getClient: () => client }),
    } as unknown as ArgumentsHost;
    expect(filter.catch(new PermissionDeniedError(), host)).toBeUndefined();
    expect(emitted).toEqual([['exception', expect.objectContaining({ statusCode: 403, code: 'permission_denied' })]]);
  });

  it('ws without an emitting client and unknown contexts: the error is rethrown for that context to format', () => {
    const { filter } = filterWith('api');
    const error = new CredentialsMissingError();
    const ws = { getType: () => 'ws', getArgs: () => [{}, {}], switchToWs: () => ({ getClient: () => ({}) }) } as unknown as ArgumentsHost;
    expect(() => filter.catch(error, ws)).toThrow(error);
    expect(() => filter.catch(error, { getType: () => 'other', getArgs: () => [] } as unknown as ArgumentsHost)).toThrow(error);
  });
});
