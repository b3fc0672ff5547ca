import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { challengeFor } from './auth-error.filter.js';
import {
  ApiKeyInvalidError,
  AuthError,
  AuthUnavailableError,
  CredentialsMissingError,
  CsrfFailedError,
  FreshTokenRequiredError,
  InsufficientUserAuthenticationError,
  InvalidRequestError,
  PermissionDeniedError,
  SessionInvalidError,
  TokenClaimsInvalidError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenReusedError,
  TokenRevokedError,
  UserInactiveError,
  type AuthErrorCode,
} from './auth.errors.js';

type ErrorClass = new (message?: string) => AuthError;
/** What the response carries: `none` (no WWW-Authenticate), `challenge` (realm only), `invalid_token`, `invalid_request`. */
type Challenge = 'none' | 'challenge' | 'invalid_token' | 'invalid_request' | 'step_up';

// API.md "Errors", one row per code. A Record over AuthErrorCode: a new code does not type-check
// until it has its row here.
const table: Record<AuthErrorCode, [ErrorClass, number, Challenge]> = {
  invalid_request: [InvalidRequestError, 400, 'invalid_request'],
  credentials_missing: [CredentialsMissingError, 401, 'challenge'],
  token_malformed: [TokenMalformedError, 401, 'invalid_token'],
  token_invalid: [TokenInvalidError, 401, 'invalid_token'],
  token_expired: [TokenExpiredError, 401, 'invalid_token'],
  token_not_yet_valid: [TokenNotYetValidError, 401, 'invalid_token'],
  token_claims_invalid: [TokenClaimsInvalidError, 401, 'invalid_token'],
  token_revoked: [TokenRevokedError, 401, 'invalid_token'],
  token_reused: [TokenReusedError, 401, 'invalid_token'],
  api_key_invalid: [ApiKeyInvalidError, 401, 'invalid_token'],
  session_invalid: [SessionInvalidError, 401, 'invalid_token'],
  user_inactive: [UserInactiveError, 401, 'invalid_token'],
  permission_denied: [PermissionDeniedError, 403, 'none'],
  fresh_token_required: [FreshTokenRequiredError, 403, 'none'],
  csrf_failed: [CsrfFailedError, 403, 'none'],
  auth_unavailable: [AuthUnavailableError, 503, 'none'],
  insufficient_user_authentication: [InsufficientUserAuthenticationError, 401, 'step_up'],
};
const rows = Object.entries(table).map(([code, [type, status, challenge]]) => [code, type, status, challenge] as const);
const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' };

function expectedChallenge(challenge: Challenge, message: string, realm = 'api'): string | undefined {
  switch (challenge) {
    case 'none':
      return undefined;
    case 'challenge':
      return `Bearer realm="${realm}"`;
    case 'invalid_request':
      return `Bearer realm="${realm}", error="invalid_request"`;
    case 'invalid_token':
      return `Bearer realm="${realm}", error="invalid_token", error_description="${message}"`;
    case 'step_up':
      return `Bearer realm="${realm}", error="insufficient_user_authentication", error_description="${message}"`;
  }
}

describe('one AuthError subclass per code (API.md error table)', () => {
  it('every class is a different code', () => {
    expect(new Set(rows.map(([, type]) => type)).size).toBe(rows.length);
  });

  it.each(rows)('%s: status, body, name', (code, type, status) => {
    const error = new type();
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toBeInstanceOf(HttpException);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.getStatus()).toBe(status);
    expect(error.name).toBe(type.name);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.toJSON()).toEqual({ statusCode: status, error: REASONS[status], message: error.message, code });
    expect(error.getResponse()).toEqual(error.toJSON());
  });

  it.each(rows)('%s: WWW-Authenticate', (_code, type, _status, challenge) => {
    const error = new type();
    expect(challengeFor(error, 'api')).toBe(expectedChallenge(challenge, error.message));
  });

  it.each(rows)('%s: a custom message reaches the body and the challenge', (_code, type, _status, challenge) => {
    const error = new type('Custom reason');
    expect(error.message).toBe('Custom reason');
    expect(error.toJSON().message).toBe('Custom reason');
    expect(challengeFor(error, 'tenant-a')).toBe(expectedChallenge(challenge, 'Custom reason', 'tenant-a'));
  });

  it.each(rows)('%s: serialises to the body alone (no stack, no cause)', (_code, type) => {
    const error = new type();
    expect(JSON.parse(JSON.stringify(error))).toEqual(error.toJSON());
  });

  it('each error has its own body', () => {
    const first = new TokenExpiredError();
    (first.toJSON() as { message: string }).message = 'changed';
    expect(new TokenExpiredError().toJSON().message).toBe('The token has expired');
  });
});

describe('step-up challenge (RFC 9470 §3)', () => {
  it('names max_age, as a number of seconds', () => {
    const error = new InsufficientUserAuthenticationError('More recent authentication is required', { maxAge: 300 });
    expect(challengeFor(error, 'api')).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age=300',
    );
  });

  it('names acr_values, space-separated and quoted', () => {
    const error = new InsufficientUserAuthenticationError('A stronger authentication is required', { acrValues: ['mfa', 'phr'] });
    expect(challengeFor(error, 'api')).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="A stronger authentication is required", acr_values="mfa phr"',
    );
  });

  it('strips what could break out of the quoted strings', () => {
    const error = new InsufficientUserAuthenticationError('bad "quote"\r\nX-Injected: 1', { acrValues: ['a"b\\c'] });
    expect(challengeFor(error, 'api')).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="bad quoteX-Injected: 1", acr_values="abc"',
    );
  });
});

describe('cause', () => {
  const cause = new Error('ECONNREFUSED 127.0.0.1:6379, password=hunter2');

  it.each([
    ['InvalidRequestError', new InvalidRequestError(undefined, { cause })],
    ['TokenMalformedError', new TokenMalformedError(undefined, { cause })],
    ['TokenInvalidError', new TokenInvalidError(undefined, { cause })],
    ['AuthUnavailableError', new AuthUnavailableError(undefined, { cause })],
    ['AuthError', new AuthError(503, 'auth_unavailable', 'Store down', { cause })],
  ])('%s keeps it, and never puts it in the response', (_, error) => {
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(JSON.stringify(error.getResponse())).not.toContain('ECONNREFUSED');
    expect(challengeFor(error, 'api') ?? '').not.toContain('hunter2');
  });
});

describe('the base class', () => {
  it('takes any status; an unknown one gets the reason "Error"', () => {
    const error = new AuthError(418, 'token_invalid', 'Teapot');
    expect(error.getStatus()).toBe(418);
    expect(error.toJSON()).toEqual({ statusCode: 418, error: 'Error', message: 'Teapot', code: 'token_invalid' });
    expect(challengeFor(error, 'api')).toBeUndefined();
  });

  it('a 401 built directly names no error unless told a credential was refused', () => {
    expect(challengeFor(new AuthError(401, 'token_invalid', 'Bad signature'), 'api')).toBe('Bearer realm="api"');
    expect(challengeFor(new AuthError(401, 'token_invalid', 'Bad signature', { invalidToken: true }), 'api')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="Bad signature"',
    );
  });

  it('a subclass of a subclass is named after itself', () => {
    class TenantSuspendedError extends PermissionDeniedError {}
    const error = new TenantSuspendedError('Tenant suspended');
    expect(error.name).toBe('TenantSuspendedError');
    expect(error.code).toBe('permission_denied');
    expect(error.getStatus()).toBe(403);
  });
});

describe('WWW-Authenticate quoting (RFC 6750 §3: printable ASCII without " and \\)', () => {
  it.each([
    ['a header injection', 'bad\r\nSet-Cookie: session=stolen', 'badSet-Cookie: session=stolen'],
    ['quotes and backslashes', 'say "hi" \\ bye', 'say hi  bye'],
    ['non-ASCII and control characters', 'jeton expiré\t\u0000\u007f', 'jeton expir'],
  ])('strips %s from error_description', (_, message, description) => {
    const challenge = challengeFor(new TokenInvalidError(message), 'api')!;
    expect(challenge).toBe(`Bearer realm="api", error="invalid_token", error_description="${description}"`);
    expect(challenge).not.toMatch(/[\r\n]/);
  });

  it('strips the same from the realm', () => {
    expect(challengeFor(new CredentialsMissingError(), 'my "api"\r\nX: y')).toBe('Bearer realm="my apiX: y"');
  });
});
