import { isClass } from './auth.utils.js';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, type Type } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { DEFAULT_REALM } from './auth.constants.js';
import { AUTH_MODULE_OPTIONS } from './auth.module-definition.js';
import type { AuthenticationBackendRef, AuthModuleOptions, UserLoader, UserLoaderFn } from './auth.options.js';
import type { AuthenticationBackend, BackendSetup } from './backends/authentication-backend.interface.js';
import { assertUniqueNames } from './backends/backend-name.js';
import { bindUserLoader, type LoadUser } from './context/user-loader.js';
import type { Guard } from './guards/guard.interface.js';
import { IsAuthenticated } from './guards/permission.guards.js';
import { RevocationStore } from './revocation/revocation.store.js';
import { CredentialSettings } from './credentials/credential-settings.js';
import { resolveAllowedOrigins } from './contexts/ws-origin.js';
import { assertGuards } from './guards/guard-check.js';
import { TokenSigner } from './jwt/token-signer.js';
import { AuthEvents } from './events/auth-events.js';
import { attachStore, traceLoader } from './events/traced-work.js';

/** How long a `userLoader` call may take by default (`userLoaderTimeoutMs`). */
const DEFAULT_USER_LOADER_TIMEOUT_MS = 2000;

/**
 * The module's options, validated once at start-up. Misconfiguration throws a `TypeError`
 * here, so the application refuses to boot instead of failing on a request.
 */
@Injectable()
export class AuthConfig implements OnModuleInit, OnApplicationShutdown {
  readonly guards: readonly Guard[];
  readonly realm: string;
  readonly revocation: RevocationStore;
  /** How credentials travel: cookie names and attributes, the CSRF key (with `tokens`). */
  readonly credentials: CredentialSettings;
  /** The `tokens` signer (keys imported once) `TokenService` issues with; present when `tokens` is configured. */
  readonly signer: TokenSigner | undefined;
  readonly options: AuthModuleOptions;
  /** `permissionsFrom`: whether a JWT-authenticated request's permissions are the loaded user's. */
  readonly permissionsFromUser: boolean;
  /** The app's auth events (injectable as `AuthEvents`): stores, the guard, the filter and `TokenService` report here. */
  readonly events = new AuthEvents();
  private backendList: AuthenticationBackend[] = [];
  private loader: LoadUser | undefined;
  /** This app's bound backend for each reference it was given (an instance, or a class). */
  private readonly bound = new Map<AuthenticationBackendRef, Promise<AuthenticationBackend>>();
  /** What to undo when the app closes (see {@link onClose}). */
  private readonly releases: Array<() => void> = [];

  constructor(
    @Inject(AUTH_MODULE_OPTIONS) options: AuthModuleOptions,
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
    revocation: RevocationStore,
  ) {
    validateOptions(options);
    this.options = options;
    this.guards = options.guards ?? [IsAuthenticated()];
    this.realm = options.realm ?? DEFAULT_REALM;
    this.permissionsFromUser = options.permissionsFrom === 'user';
    this.revocation = revocation;
    attachStore(revocation, this.events);
    this.signer = options.tokens === undefined ? undefined : new TokenSigner(options.tokens);
    this.credentials = new CredentialSettings(options.tokens, resolveAllowedOrigins(options.websocket));
  }

  async onModuleInit(): Promise<void> {
    const userLoader = this.options.userLoader;
    if (userLoader !== undefined) this.loader = traceLoader(this.events, await this.resolveLoader(userLoader));
    this.backendList = await Promise.all(this.options.authentication.map((ref) => this.backend(ref)));
    assertUniqueNames(this.backendList, 'AuthModule');
  }

  /**
   * Runs `release` when the application closes (`app.close()`, or a signal with
   * `enableShutdownHooks()`): what a backend's `setup` or an integration (`instrumentAuth`) attached
   * to objects that outlive the app is detached then.
   */
  onClose(release: () => void): void {
    this.releases.push(release);
  }

  onApplicationShutdown(): void {
    for (const release of this.releases.splice(0)) release();
  }

  /** The module's default backends, resolved and set up. */
  get backends(): readonly AuthenticationBackend[] {
    return this.backendList;
  }

  /**
   * Loads the user of a context through the app's `userLoader` (bounded by
   * `userLoaderTimeoutMs`, failing closed with 503), or `undefined` when none is configured.
   */
  get loadUser(): LoadUser | undefined {
    return this.loader;
  }

  /** The platform the application runs on (`'express'`, `'fastify'`). */
  get platform(): string {
    return this.adapterHost.httpAdapter?.getType() ?? 'express';
  }

  /**
   * This app's backend for a reference (an instance, or an injectable class resolved through
   * DI): what the backend's `setup` returned for this app, or the backend itself when `setup`
   * returns nothing. Set up once per app and reference; the reference itself is never changed,
   * so one backend object can serve two apps in one process, each with its own store, loader
   * and cookie settings.
   */
  backend(ref: AuthenticationBackendRef): Promise<AuthenticationBackend> {
    let bound = this.bound.get(ref);
    if (bound === undefined) {
      bound = this.bind(ref);
      this.bound.set(ref, bound);
    }
    return bound;
  }

  private async bind(ref: AuthenticationBackendRef): Promise<AuthenticationBackend> {
    const backend = typeof ref === 'function' ? await this.resolveInjectable(ref) : ref;
    const bound = await backend.setup?.(this.setupFor());
    if (bound === undefined || bound === null) return backend;
    if (typeof bound !== 'object' || typeof (bound as Partial<AuthenticationBackend>).authenticate !== 'function') {
      throw new TypeError(
        `AuthModule: the setup() of backend "${backend.name}" returned something that is not a backend: return the bound backend, or nothing`,
      );
    }
    return bound;
  }

  private setupFor(): BackendSetup {
    const { platform, revocation, moduleRef, loader: loadUser } = this;
    const { csrfTokenFor } = this.credentials;
    return { platform, revocation, moduleRef, loadUser, csrfTokenFor, events: this.events, onClose: (release) => this.onClose(release) };
  }

  private async resolveLoader(loader: UserLoaderFn | Type<UserLoader>): Promise<LoadUser> {
    const timeoutMs = this.options.userLoaderTimeoutMs ?? DEFAULT_USER_LOADER_TIMEOUT_MS;
    if (isClass(loader)) {
      const instance = await this.resolveInjectable(loader as Type<UserLoader>);
      if (typeof instance.loadUser !== 'function')
        throw new TypeError('AuthModule: the userLoader provider must have a loadUser(context) method');
      return bindUserLoader((context) => instance.loadUser(context), timeoutMs);
    }
    return bindUserLoader(loader as UserLoaderFn, timeoutMs);
  }

  private async resolveInjectable<T>(type: Type<T>): Promise<T> {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return this.moduleRef.create(type);
    }
  }
}

function validateOptions(options: AuthModuleOptions): void {
  const fix = "for example AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret, algorithms: ['HS256'] })] })";
  if (typeof options !== 'object' || options === null) throw new TypeError(`AuthModule: options are required, ${fix}`);
  const { authentication, guards, userLoader } = options;
  if (!Array.isArray(authentication) || authentication.length === 0) {
    throw new TypeError(`AuthModule: \`authentication\` needs at least one backend, ${fix}`);
  }
  authentication.forEach((backend, index) => {
    const ok =
      typeof backend === 'function' || (typeof backend === 'object' && backend !== null && typeof backend.authenticate === 'function');
    if (!ok)
      throw new TypeError(
        `AuthModule: authentication[${index}] is not a backend (an object with authenticate(request), or an injectable class)`,
      );
  });
  if (guards !== undefined) assertGuards(guards, 'AuthModule');
  if (userLoader !== undefined && typeof userLoader !== 'function') {
    throw new TypeError('AuthModule: `userLoader` must be a function or an injectable class with loadUser(context)');
  }
  const timeout = options.userLoaderTimeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0 || timeout > 2 ** 31 - 1)) {
    throw new TypeError('AuthModule: `userLoaderTimeoutMs` must be a whole number of milliseconds > 0 (default 2000)');
  }
  const { permissionsFrom } = options;
  if (permissionsFrom !== undefined && permissionsFrom !== 'token' && permissionsFrom !== 'user') {
    throw new TypeError("AuthModule: `permissionsFrom` must be 'token' (the default) or 'user'");
  }
  if (permissionsFrom === 'user' && userLoader === undefined) {
    throw new TypeError(
      "AuthModule: `permissionsFrom: 'user'` reads permissions from the loaded user: add a `userLoader` " +
        '(e.g. userLoader: (context) => users.findById(context.userId)), or leave `permissionsFrom` out to read them from tokens',
    );
  }
  if (options.contextStorage !== undefined && typeof options.contextStorage !== 'boolean') {
    throw new TypeError(
      'AuthModule: `contextStorage` must be true, false, or left out (on when a class of the app injects AuthContextService)',
    );
  }
}
