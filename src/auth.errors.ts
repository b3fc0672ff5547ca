import { HttpException } from '@nestjs/common';

/** Every stable error code nestjs-warden answers with (see the README's error table). */
export type AuthErrorCode =
  | 'invalid_request'
  | 'credentials_missing'
  | 'token_malformed'
  | 'token_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_claims_invalid'
  | 'token_revoked'
  | 'token_reused'
  | 'api_key_invalid'
  | 'session_invalid'
  | 'user_inactive'
  | 'permission_denied'
  | 'fresh_token_required'
  | 'csrf_failed'
  | 'auth_unavailable'
  | 'insufficient_user_authentication';

/** The JSON body of every auth failure. */
export interface AuthErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: AuthErrorCode;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  503: 'Service Unavailable',
};

/**
 * Base class of every authentication or authorization failure. Thrown anywhere in a
 * request (a guard, a backend, `TokenService.refresh` in a handler), it becomes the
 * documented response: `{ statusCode, error, message, code }`, with `WWW-Authenticate`
 * on a 401. It extends `HttpException`, so an application's own exception filters
 * still render a correct status and body.
 */
export class AuthError extends HttpException {
  /** The stable, machine-readable code. */
  readonly code: AuthErrorCode;
  /**
   * Whether a credential was presented and refused (RFC 6750 `error="invalid_token"`),
   * as opposed to none being presented.
   */
  readonly invalidToken: boolean;

  constructor(status: number, code: AuthErrorCode, message: string, options: { cause?: unknown; invalidToken?: boolean } = {}) {
    const body: AuthErrorBody = { statusCode: status, error: REASONS[status] ?? 'Error', message, code };
    super(body, status, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.invalidToken = options.invalidToken ?? false;
  }

  /** The response body. */
  toJSON(): AuthErrorBody {
    return this.getResponse() as AuthErrorBody;
  }
}

/** 400 `invalid_request`: a credential was sent more than once (RFC 6750 §3.1). */
export class InvalidRequestError extends AuthError {
  constructor(message = 'The credential was sent more than once', options?: { cause?: unknown }) {
    super(400, 'invalid_request', message, options);
  }
}

/** 401 `credentials_missing`: the route needs authentication and none was sent. */
export class CredentialsMissingError extends AuthError {
  constructor(message = 'Authentication credentials were not provided') {
    super(401, 'credentials_missing', message);
  }
}

/** 401 `token_malformed`: the credential is not a well-formed token. */
export class TokenMalformedError extends AuthError {
  constructor(message = 'The token is malformed', options?: { cause?: unknown }) {
    super(401, 'token_malformed', message, { ...options, invalidToken: true });
  }
}

/** 401 `token_invalid`: bad signature, unknown key or an algorithm that is not allowed. */
export class TokenInvalidError extends AuthError {
  constructor(message = 'The token signature is invalid', options?: { cause?: unknown }) {
    super(401, 'token_invalid', message, { ...options, invalidToken: true });
  }
}

/** 401 `token_expired`. */
export class TokenExpiredError extends AuthError {
  constructor(message = 'The token has expired') {
    super(401, 'token_expired', message, { invalidToken: true });
  }
}

/** 401 `token_not_yet_valid`: `nbf` is in the future. */
export class TokenNotYetValidError extends AuthError {
  constructor(message = 'The token is not valid yet') {
    super(401, 'token_not_yet_valid', message, { invalidToken: true });
  }
}

/** 401 `token_claims_invalid`: `aud`, `iss`, `type` or a required claim is wrong. */
export class TokenClaimsInvalidError extends AuthError {
  constructor(message = 'The token claims are invalid') {
    super(401, 'token_claims_invalid', message, { invalidToken: true });
  }
}

/** 401 `token_revoked`. */
export class TokenRevokedError extends AuthError {
  constructor(message = 'The token has been revoked') {
    super(401, 'token_revoked', message, { invalidToken: true });
  }
}

/** 401 `token_reused`: a refresh token was presented a second time; its family is revoked. */
export class TokenReusedError extends AuthError {
  constructor(message = 'The refresh token was already used; every token of this login is revoked') {
    super(401, 'token_reused', message, { invalidToken: true });
  }
}

/** 401 `api_key_invalid`. The key itself is never part of the message. */
export class ApiKeyInvalidError extends AuthError {
  constructor(message = 'The API key is invalid') {
    super(401, 'api_key_invalid', message, { invalidToken: true });
  }
}

/** 401 `session_invalid`: the session is unknown, expired, or its user is gone or disabled. */
export class SessionInvalidError extends AuthError {
  constructor(message = 'The session is invalid') {
    super(401, 'session_invalid', message, { invalidToken: true });
  }
}

/**
 * 401 `user_inactive`: the credential is valid, but the user behind it is gone or disabled:
 * the `userLoader` answered `null` when the request read `request.user` / `@CurrentUser()`.
 */
export class UserInactiveError extends AuthError {
  constructor(message = 'The user no longer exists or is disabled') {
    super(401, 'user_inactive', message, { invalidToken: true });
  }
}

/** 403 `permission_denied`. */
export class PermissionDeniedError extends AuthError {
  constructor(message = 'You do not have permission to perform this action') {
    super(403, 'permission_denied', message);
  }
}

/** 403 `fresh_token_required`: the route needs a token issued by a login, not a refresh. */
export class FreshTokenRequiredError extends AuthError {
  constructor(message = 'A fresh token is required: log in again') {
    super(403, 'fresh_token_required', message);
  }
}

/** 403 `csrf_failed`. */
export class CsrfFailedError extends AuthError {
  constructor(message = 'CSRF token missing or invalid') {
    super(403, 'csrf_failed', message);
  }
}

/** 503 `auth_unavailable`: a store the decision depends on did not answer; the request fails closed. */
export class AuthUnavailableError extends AuthError {
  constructor(message = 'Authentication is temporarily unavailable', options?: { cause?: unknown }) {
    super(503, 'auth_unavailable', message, options);
  }
}

/** What a step-up refusal asks for (RFC 9470 §3): a login no older than `maxAge` seconds, or one of `acrValues`. */
export interface StepUpChallenge {
  /** The allowable seconds since the user last authenticated (`max_age`). */
  maxAge?: number;
  /** The authentication context class references that would do (`acr_values`), in order of preference. */
  acrValues?: readonly string[];
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470): the token is valid, but the login behind it
 * is too old (`auth_time`) or too weak (`acr`) for this route. The client sends the user through
 * the authorization server again, with the `max_age` or `acr_values` the `WWW-Authenticate`
 * challenge names, and retries with the new token.
 */
export class InsufficientUserAuthenticationError extends AuthError {
  /** What the challenge asks for. */
  readonly stepUp: Readonly<StepUpChallenge>;

  constructor(message = 'A more recent or stronger authentication is required', stepUp: StepUpChallenge = {}) {
    super(401, 'insufficient_user_authentication', message);
    this.stepUp = Object.freeze({ ...stepUp });
  }
}
