import { isClass } from './auth.utils.js';
import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { DEFAULT_REALM } from './auth.constants.js';
import { AUTH_MODULE_OPTIONS } from './auth.module-definition.js';
import type { AuthenticationBackendRef, AuthModuleOptions, UserLoader, UserLoaderFn } from './auth.options.js';
import type { AuthenticationBackend, BackendSetup } from './backends/authentication-backend.interface.js';
import type { RequestContext } from './context/request-context.interface.js';
import type { Guard } from './guards/guard.interface.js';
import { IsAuthenticated } from './guards/permission.guards.js';
import { RevocationStore } from './revocation/revocation.store.js';
import { CredentialSettings } from './credentials/credential-settings.js';
import { assertGuards } from './guards/guard-check.js';
import { TokenSigner } from './jwt/token-signer.js';

/**
 * The module's options, validated once at start-up. Misconfiguration throws a `TypeError`
 * here, so the application refuses to boot instead of failing on a request.
 */
@Injectable()
export class AuthConfig implements OnModuleInit {
  readonly guards: readonly Guard[];
  readonly realm: string;
  readonly revocation: RevocationStore;
  /** How credentials travel: cookie names and attributes, the CSRF key (with `tokens`). */
  readonly credentials: CredentialSettings;
  /** The `tokens` signer (keys imported once) `TokenService` issues with; present when `tokens` is configured. */
  readonly signer: TokenSigner | undefined;
  readonly options: AuthModuleOptions;
  private backendList: AuthenticationBackend[] = [];
  private loader: ((context: RequestContext) => Promise<unknown>) | undefined;
  private readonly prepared = new WeakMap<object, Promise<void> | true>();
  private readonly resolved = new Map<Type<AuthenticationBackend>, AuthenticationBackend>();

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
    this.revocation = revocation;
    this.signer = options.tokens === undefined ? undefined : new TokenSigner(options.tokens);
    this.credentials = new CredentialSettings(options.tokens);
  }

  async onModuleInit(): Promise<void> {
    const userLoader = this.options.userLoader;
    if (userLoader !== undefined) this.loader = await this.resolveLoader(userLoader);
    this.backendList = await Promise.all(this.options.authentication.map((ref) => this.backend(ref)));
  }

  /** The module's default backends, resolved and set up. */
  get backends(): readonly AuthenticationBackend[] {
    return this.backendList;
  }

  /** Loads the user of a context, or `undefined` when no `userLoader` is configured. */
  get loadUser(): ((context: RequestContext) => Promise<unknown>) | undefined {
    return this.loader;
  }

  /** The platform the application runs on (`'express'`, `'fastify'`). */
  get platform(): string {
    return this.adapterHost.httpAdapter?.getType() ?? 'express';
  }

  /** Resolves a backend reference (instance or injectable class) and runs its `setup` once. */
  async backend(ref: AuthenticationBackendRef): Promise<AuthenticationBackend> {
    const backend = typeof ref === 'function' ? await this.resolveClass(ref) : ref;
    let ready = this.prepared.get(backend);
    if (ready === undefined) {
      ready = Promise.resolve(backend.setup?.(this.setupFor())).then(() => {
        this.prepared.set(backend, true);
      });
      this.prepared.set(backend, ready);
    }
    if (ready !== true) await ready;
    return backend;
  }

  /** Whether a backend instance is resolved and set up (the request path's fast check). */
  isReady(backend: AuthenticationBackend): boolean {
    return this.prepared.get(backend) === true;
  }

  private setupFor(): BackendSetup {
    const { platform, revocation, moduleRef, loader: loadUser } = this;
    return { platform, revocation, moduleRef, loadUser, csrfTokenFor: this.credentials.csrfTokenFor };
  }

  private async resolveClass(type: Type<AuthenticationBackend>): Promise<AuthenticationBackend> {
    let instance = this.resolved.get(type);
    if (instance === undefined) {
      instance = await this.resolveInjectable(type);
      this.resolved.set(type, instance);
    }
    return instance;
  }

  private async resolveLoader(loader: UserLoaderFn | Type<UserLoader>): Promise<(context: RequestContext) => Promise<unknown>> {
    if (isClass(loader)) {
      const instance = await this.resolveInjectable(loader as Type<UserLoader>);
      if (typeof instance.loadUser !== 'function')
        throw new TypeError('AuthModule: the userLoader provider must have a loadUser(context) method');
      return async (context) => (await instance.loadUser(context)) ?? null;
    }
    const fn = loader as UserLoaderFn;
    return async (context) => (await fn(context)) ?? null;
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
  if (options.contextStorage !== undefined && typeof options.contextStorage !== 'boolean') {
    throw new TypeError('AuthModule: `contextStorage` must be true, false, or left out (on by default)');
  }
}
