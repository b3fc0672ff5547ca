import { isClass } from '../auth.utils.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { ApiKeyInvalidError } from '../auth.errors.js';
import { andThen, ask } from '../auth.policy.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult } from '../context/request-context.interface.js';
import { userRoles } from '../context/user-loader.js';
import type { AuthenticationBackend, BackendSetup, OpenApiSecurityScheme } from './authentication-backend.interface.js';
import { backendName } from './backend-name.js';
import { bindBackend } from './bound-backend.js';
import { readScheme, readSingleHeader } from '../credentials/credential-header.js';

/** What a key grants. */
export interface ApiKeyGrant {
  /** Becomes `context.userId`. */
  name?: string;
  /** Becomes `context.permissions`. */
  permissions?: string[];
  /** Becomes `context.roles` (its strings). */
  roles?: string[];
}

/** Looks keys up in the application's own store; `null` for an unknown key. */
export interface ApiKeyValidator {
  validate(key: string): ApiKeyGrant | null | Promise<ApiKeyGrant | null>;
}

/** Options of {@link ApiKeyAuthentication}. */
export interface ApiKeyAuthenticationOptions {
  /**
   * The backend's name: `request.context.authBackend` and its OpenAPI security scheme.
   * @default 'api_key'
   */
  name?: string;
  /** Plaintext keys: a list, or key → grant. */
  keys?: string[] | Record<string, ApiKeyGrant>;
  /** Hex SHA-256 of each key → grant, so plaintext keys need not sit in configuration. */
  hashedKeys?: Record<string, ApiKeyGrant>;
  /** Looks a key up elsewhere: a function, or an injectable class with `validate(key)`. */
  validate?: ((key: string) => ApiKeyGrant | null | Promise<ApiKeyGrant | null>) | Type<ApiKeyValidator>;
  /**
   * The header the key is read from.
   * @default 'x-api-key'
   */
  header?: string;
  /** A scheme before the key, e.g. `'Api-Key'` with `header: 'authorization'`. */
  scheme?: string;
  /**
   * Longer keys are refused before any work.
   * @default 1024
   */
  maxKeyLength?: number;
}

interface Entry {
  digest: Buffer;
  /** Mapped once and frozen: every request with this key shares it, and no handler can widen it. */
  result: Readonly<AuthResult>;
}

/**
 * Authenticates an API key (`X-API-Key` by default). Configured keys are kept only as
 * SHA-256 digests; a presented key is hashed once and compared with every digest in
 * constant time, with no early exit, so neither the position of a mismatch nor which key
 * matched shows in the timing. Keys never appear in logs or error messages.
 *
 * @example
 * ```ts
 * new ApiKeyAuthentication({ hashedKeys: { '9f86d0…': { name: 'billing', permissions: ['invoices:read'] } } })
 * ```
 */
export class ApiKeyAuthentication implements AuthenticationBackend {
  readonly name: string;
  private readonly entries: Entry[];
  private readonly header: string;
  private readonly scheme: string | undefined;
  private readonly maxKeyLength: number;
  /** A `validate` function, or (on the instance `setup` returns) the app's `validate` provider. */
  private readonly validator: ((key: string) => ApiKeyGrant | null | Promise<ApiKeyGrant | null>) | undefined;

  constructor(private readonly options: ApiKeyAuthenticationOptions) {
    const what = 'ApiKeyAuthentication';
    this.name = backendName(options.name, 'api_key', what);
    if (options.keys === undefined && options.hashedKeys === undefined && options.validate === undefined) {
      throw new TypeError(`${what}: give \`keys\`, \`hashedKeys\` or \`validate\``);
    }
    const plain: Array<[string, ApiKeyGrant]> = Array.isArray(options.keys)
      ? options.keys.map((key) => [key, {}])
      : Object.entries(options.keys ?? {});
    this.entries = plain.map(([key, grant]) => {
      if (typeof key !== 'string' || key.length < 16) throw new TypeError(`${what}: every key must be a string of at least 16 characters`);
      return { digest: sha256(key), result: frozenResult(grant) };
    });
    for (const [hash, grant] of Object.entries(options.hashedKeys ?? {})) {
      if (!/^[0-9a-f]{64}$/i.test(hash))
        throw new TypeError(`${what}: every hashedKeys entry must be a hex SHA-256 digest (64 characters)`);
      this.entries.push({ digest: Buffer.from(hash, 'hex'), result: frozenResult(grant) });
    }
    this.validator =
      typeof options.validate === 'function' && !isClass(options.validate)
        ? (options.validate as (key: string) => ApiKeyGrant | null | Promise<ApiKeyGrant | null>)
        : undefined;
    this.header = (options.header ?? 'x-api-key').toLowerCase();
    this.scheme = options.scheme;
    this.maxKeyLength = options.maxKeyLength ?? 1024;
  }

  /**
   * With a `validate` provider class: this backend bound to the app's instance of it (resolved
   * through that app's DI). Otherwise there is nothing per app, and the backend serves as itself.
   */
  async setup(setup: BackendSetup): Promise<ApiKeyAuthentication | void> {
    const validate = this.options.validate;
    if (validate === undefined || !isClass(validate)) return;
    const type = validate as Type<ApiKeyValidator>;
    let instance: ApiKeyValidator;
    try {
      instance = setup.moduleRef.get(type, { strict: false });
    } catch {
      instance = await setup.moduleRef.create(type);
    }
    const validator = (key: string): ApiKeyGrant | null | Promise<ApiKeyGrant | null> => instance.validate(key);
    return bindBackend(this, { validator });
  }

  authenticate(request: AuthRequest): AuthResult | null | Promise<AuthResult | null> {
    const value = readSingleHeader(request, this.header);
    if (value === undefined) return null;
    const key = this.scheme === undefined ? value : readScheme(value, this.scheme);
    if (key === undefined) return null;
    if (key.length === 0 || key.length > this.maxKeyLength) throw new ApiKeyInvalidError();
    const known = this.match(key);
    if (known !== undefined) return known;
    const validator = this.validator;
    if (validator === undefined) throw new ApiKeyInvalidError();
    return andThen(ask('The API key store did not answer', askValidator, validator, key), accept);
  }

  private match(key: string): Readonly<AuthResult> | undefined {
    const digest = sha256(key);
    let found: Readonly<AuthResult> | undefined;
    for (const entry of this.entries) {
      // Every digest is compared, whatever matched before.
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.result;
    }
    return found;
  }

  openApiScheme(): OpenApiSecurityScheme {
    return { name: this.name, scheme: { type: 'apiKey', in: 'header', name: this.options.header ?? 'X-API-Key' } };
  }
}

function askValidator(
  validator: (key: string) => ApiKeyGrant | null | Promise<ApiKeyGrant | null>,
  key: string,
): ApiKeyGrant | null | Promise<ApiKeyGrant | null> {
  return validator(key);
}

function accept(grant: ApiKeyGrant | null): AuthResult {
  if (grant === null || grant === undefined) throw new ApiKeyInvalidError();
  return toResult(grant);
}

/** A grant's result; the permissions are copied, so a handler never reaches the grant's own array. */
function toResult(grant: ApiKeyGrant): AuthResult {
  return {
    userId: grant.name ?? null,
    permissions: [...(grant.permissions ?? [])],
    ...(grant.roles === undefined ? {} : { roles: userRoles(grant) }),
    claims: grant.name === undefined ? {} : { name: grant.name },
  };
}

function frozenResult(grant: ApiKeyGrant): Readonly<AuthResult> {
  const result = toResult(grant);
  Object.freeze(result.permissions);
  if (result.roles !== undefined) Object.freeze(result.roles);
  Object.freeze(result.claims);
  return Object.freeze(result);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
