import { Injectable, Optional, type CanActivate, type ExecutionContext, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { lastValueFrom, isObservable } from 'rxjs';
import { AuthConfig } from '../auth.config.js';
import { assertTokensAccepted } from '../auth.startup.js';
import { andThen, isPending, refusal } from '../auth.policy.js';
import type { AuthenticationBackend, CookieAuthResult } from '../backends/authentication-backend.interface.js';
import { assertUniqueNames } from '../backends/backend-name.js';
import { unclaimedCredential } from '../backends/unclaimed-credential.js';
import { attachContext } from '../context/attach-context.js';
import { wsGuarded, wsGuarding } from '../contexts/request-of.js';
import { watchGraphql } from '../contexts/graphql-subscription.js';
import { applyUserAuthority } from '../context/user-loader.js';
import { ContextStorage } from '../context/context-storage.js';
import { attachCredentialSettings } from '../credentials/credential-settings.js';
import { checkCsrf } from '../credentials/csrf-check.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult, RequestContext } from '../context/request-context.interface.js';
import { anonymousContext, contextFrom } from '../context/request-context.js';
import { requirementGuards, resolveAuth } from '../decorators/resolve-auth.js';
import type { Guard } from './guard.interface.js';
import { noteBackend, observeGuard } from '../events/request-observer.js';
import { discoverHandlers, type Controller, type Handler } from './handler-discovery.js';
import { authenticatedBy, guardedRequestOf, publicOnly, type Authenticated, type Plan } from './warden-steps.js';

/**
 * The global guard `AuthModule` installs: resolves each handler's plan once (method over
 * class over module), runs its backends in order, stores `request.context`, then runs
 * its guards. Extend it and override the `protected` hooks to change one step.
 *
 * At start-up it resolves the plan of every route handler, so a per-handler `@Auth()`
 * backend is set up (and a bad one refuses to start the app) before the first request,
 * then checks that a `JwtAuthentication` in use accepts the tokens `TokenService` signs.
 */
@Injectable()
export class WardenGuard implements CanActivate, OnApplicationBootstrap {
  private readonly plans = new WeakMap<Handler, Map<Controller, Plan | Promise<Plan>>>();

  constructor(
    protected readonly reflector: Reflector,
    protected readonly config: AuthConfig,
    // Optional: a subclass registered outside AuthModule (without DiscoveryModule) plans lazily.
    @Optional() private readonly discovery?: DiscoveryService,
    @Optional() private readonly scanner?: MetadataScanner,
    // Optional: a guard built by hand (`new WardenGuard(reflector, config)`) works; AuthContextService then reads nothing.
    @Optional() private readonly contextStorage?: ContextStorage,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.discovery === undefined || this.scanner === undefined) return;
    // Every backend in use, with where it was declared: the `tokens` self-check reports by it.
    const inUse = new Map<AuthenticationBackend, string>();
    this.config.backends.forEach((backend, index) => inUse.set(backend, `authentication[${index}]`));
    const plans: Promise<void>[] = [];
    const handlers = discoverHandlers(this.discovery, this.scanner);
    for (const { handler, controller, name } of handlers) {
      const where = `@Auth() on ${controller.name}.${name}`;
      plans.push(
        Promise.resolve(this.planFor(handler, controller)).then((plan) => {
          for (const backend of plan.backends) if (!inUse.has(backend)) inUse.set(backend, where);
        }),
      );
    }
    await Promise.all(plans);
    assertTokensAccepted(this.config.signer, inUse);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() === 'ws' && !wsGuarding(context)) return wsGuarded(context, this); // gateways skip global filters
    const request = guardedRequestOf(context);
    const plan = this.planFor(context.getHandler() as Handler, context.getClass() as Controller);
    // A context this module cannot read a credential from: fail closed, only a handler resolved public gets through.
    if (request === undefined) return andThen(plan, publicOnly, context.getType());
    // First, so everything after it in this call (guards, handler, lazy Observables, filters) reads it.
    this.contextStorage?.enter(request);
    const verdict =
      this.config.events?.active === true
        ? observeGuard(this.config.events, context, request, plan, this.runPlan)
        : andThen(plan, this.runPlan, context, request);
    // A GraphQL subscription is checked again before each event and at its token's expiry (graphql-subscription.ts).
    if (context.getType<string>() !== 'graphql') return verdict;
    return watchGraphql(verdict, context, request, () => andThen(plan, this.runPlan, context, request));
  }

  // Made once per guard, not per request: `andThen()` hands them their arguments, so the
  // synchronous path (a cached plan, a JWT found in the verified-token cache) allocates no closure.
  private readonly runPlan = (plan: Plan, context: ExecutionContext, request: AuthRequest): boolean | Promise<boolean> =>
    this.run(context, request, plan);
  private readonly authorizeFirst = (
    authenticated: Authenticated,
    context: ExecutionContext,
    request: AuthRequest,
    guards: readonly Guard[],
  ): boolean | Promise<boolean> => this.authorize(context, request, guards, authenticated);
  private readonly guardsWithUserPermissions = (
    user: unknown,
    context: ExecutionContext,
    request: AuthRequest,
    guards: readonly Guard[],
  ): boolean | Promise<boolean> => {
    applyUserAuthority(request.context!, user);
    return this.runGuards(context, request, guards, 0);
  };
  private readonly nextBackend = (
    result: AuthResult | null,
    request: AuthRequest,
    backends: readonly AuthenticationBackend[],
    index: number,
  ): Authenticated | Promise<Authenticated> =>
    result === null ? this.authenticate(request, backends, index + 1) : authenticatedBy(result, backends[index]!);

  private run(context: ExecutionContext, request: AuthRequest, plan: Plan): boolean | Promise<boolean> {
    // Every route, public ones too: `loginSession` writes the CSRF cookie with these settings.
    attachCredentialSettings(request, this.config.credentials);
    if (plan.public) {
      attachContext(request, anonymousContext(), undefined);
      return true;
    }
    return andThen(this.authenticate(request, plan.backends, 0), this.authorizeFirst, context, request, plan.guards);
  }

  /**
   * Tries the backends in order from `index`; the first result wins. A backend that finds no
   * credential of its kind answers `null` and the next one is tried; one that throws ends
   * the request with its error. Stays synchronous until a backend answers with a Promise.
   */
  protected authenticate(
    request: AuthRequest,
    backends: readonly AuthenticationBackend[],
    index: number,
  ): Authenticated | Promise<Authenticated> {
    for (let i = index; i < backends.length; i++) {
      const backend = backends[i]!;
      noteBackend(request, backend.name);
      const result = backend.authenticate(request);
      if (isPending(result)) return andThen(result, this.nextBackend, request, backends, i);
      if (result !== null) return authenticatedBy(result, backend);
    }
    // A credential every backend passed on (a JWT of no configured issuer) is refused, not anonymous.
    return unclaimedCredential(request);
  }

  private authorize(
    context: ExecutionContext,
    request: AuthRequest,
    guards: readonly Guard[],
    authenticated: Authenticated,
  ): boolean | Promise<boolean> {
    // CSRF for every cookie-borne credential, whichever backend read it (not a hook: it cannot be overridden away).
    const csrfToken = (authenticated?.result as Partial<CookieAuthResult> | undefined)?.csrfToken;
    if (csrfToken !== undefined) checkCsrf(request, csrfToken, this.config.credentials.cookies.csrfHeader);
    const requestContext: RequestContext =
      authenticated === null ? anonymousContext() : contextFrom(authenticated.result, authenticated.backend);
    attachContext(request, requestContext, this.config.loadUser, authenticated?.result.user);
    // `permissionsFrom: 'user'`: a JWT's permissions and roles are the user's now, not the token's. Every
    // guard (a custom one too) and the handler's context see them; the load is the memoised `request.user`.
    if (this.config.permissionsFromUser && authenticated?.jwt === true) {
      requestContext.permissions = [];
      requestContext.roles = [];
      return andThen(request.user as Promise<unknown>, this.guardsWithUserPermissions, context, request, guards);
    }
    return this.runGuards(context, request, guards, 0);
  }

  /** Runs the guards in order from `index`, synchronously until one answers with a Promise or an Observable. */
  private runGuards(context: ExecutionContext, request: AuthRequest, guards: readonly Guard[], index: number): boolean | Promise<boolean> {
    for (let i = index; i < guards.length; i++) {
      const answer = guards[i]!.canActivate(context);
      if (answer === true) continue;
      if (answer === false) throw this.refusal(request);
      const pending = isObservable(answer) ? lastValueFrom(answer) : answer;
      return pending.then((allowed) => {
        if (!allowed) throw this.refusal(request);
        return this.runGuards(context, request, guards, i + 1);
      });
    }
    return true;
  }

  /** The error for a guard that answered `false`: 401 when anonymous, 403 otherwise. */
  protected refusal(request: AuthRequest): Error {
    return refusal(request.context);
  }

  private planFor(handler: Handler, controller: Controller): Plan | Promise<Plan> {
    let byController = this.plans.get(handler);
    if (byController === undefined) {
      byController = new Map();
      this.plans.set(handler, byController);
    }
    let plan = byController.get(controller);
    if (plan === undefined) {
      plan = this.resolvePlan(handler, controller);
      const cache = byController;
      cache.set(controller, plan);
      void plan.then(
        (ready) => cache.set(controller, ready),
        () => cache.delete(controller),
      );
    }
    return plan;
  }

  /**
   * Method over class over module, for backends and guards separately; a nearer `@Auth()`
   * cancels a farther `@Public()`, and its unset fields come from the next level that sets
   * them. `@Permissions()`, `@Roles()` and `@Scopes()` on class and method all apply.
   */
  private async resolvePlan(handler: Handler, controller: Controller): Promise<Plan> {
    const resolved = resolveAuth(this.reflector, handler, controller);
    if (resolved.public) return { public: true, backends: [], guards: [] };
    const guards = resolved.guards ?? this.config.guards;
    const backends =
      resolved.authentication === undefined
        ? this.config.backends
        : await Promise.all(resolved.authentication.map((ref) => this.config.backend(ref)));
    if (resolved.authentication !== undefined) assertUniqueNames(backends, `@Auth() on ${controller.name}.${handler.name}`);
    const required = requirementGuards(this.reflector, handler, controller);
    return { public: false, backends, guards: required.length > 0 ? [...guards, ...required] : guards };
  }
}
