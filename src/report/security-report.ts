import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { PERMISSIONS_METADATA } from '../auth.constants.js';
import type { AuthenticationBackend } from '../backends/authentication-backend.interface.js';
import type { Guard } from '../guards/guard.interface.js';
import { fieldResolverEnhancers, isFieldResolver } from '../contexts/graphql-field-check.js';
import { discoverHandlers, type Controller, type DiscoveredHandler, type Handler } from '../guards/handler-discovery.js';
import { WardenGuard } from '../guards/warden.guard.js';
import { RouteIndex } from '../swagger/route-index.js';
import type { RouteSecurity } from './route-security.interface.js';
import { describeGuard, graphqlRoute, rpcRoutes, wsRoute } from './route-names.js';

/** The part of the global guard's plan the report shows. */
interface Plan {
  public: boolean;
  backends: readonly AuthenticationBackend[];
  guards: readonly Guard[];
}

const UNGUARDED_FIELD =
  "no guard runs on this field resolver: GraphQLModule.forRoot() has no fieldResolverEnhancers: ['guards', 'filters'], so it is exactly as " +
  'protected as the query or field that returns its parent type (the decorators on it do not apply)';

const UNGUARDED_MICROSERVICE =
  'a microservice of this app is connected without { inheritAppConfig: true }: it serves this handler without the global guard ' +
  '(no authentication, no decorator applies); connect it with app.connectMicroservice(options, { inheritAppConfig: true })';

/**
 * Every handler of the app — HTTP routes (method and path), microservice message and event
 * patterns, GraphQL fields, WebSocket messages — with how the global guard protects it:
 * public or not, the backends tried, the guards run, the permissions required. Each entry is
 * resolved by the global guard itself (method over class over module), so it is what a call
 * meets. Sorted by transport, route and handler: stable for a committed snapshot (see
 * {@link formatSecurityReport}).
 *
 * Call it once the app is created (`NestFactory.create()` or `Test.createTestingModule().compile()`
 * then `createNestApplication()`), with its microservices connected if it has any. Routes
 * registered outside Nest's router (`app.use()`, routes added on the raw Express or Fastify
 * instance) are not handlers and are not listed.
 *
 * @example
 * ```ts
 * const report = await securityReport(app);
 * expect(formatSecurityReport(report)).toMatchSnapshot();
 * ```
 * @throws TypeError when the app does not import `AuthModule`.
 */
export async function securityReport(app: INestApplicationContext): Promise<RouteSecurity[]> {
  const modules = app.get(ModulesContainer, { strict: false });
  const guard = findGuard(modules);
  const discovery = new DiscoveryService(modules);
  const handlers = discoverHandlers(discovery, new MetadataScanner());
  const httpRoutes = httpRoutesOf(app);
  const rpcWarnings = unguardedMicroservices(app, guard) ? [UNGUARDED_MICROSERVICE] : [];
  // The check the app ran at start-up, read the same way: without 'guards' (in every GraphQL module) Nest runs none on field resolvers.
  const fieldsUnguarded = fieldResolverEnhancers(discovery.getProviders())?.every((list) => list.includes('guards')) === false;
  const entries = await Promise.all(
    handlers.map(async (found): Promise<RouteSecurity[]> => {
      const plan = await planOf(guard, found.handler, found.controller);
      const guarded = !(fieldsUnguarded && found.transport === 'graphql' && isFieldResolver(found.handler));
      const base = {
        transport: found.transport,
        handler: `${found.controller.name}.${found.name}`,
        public: guarded && plan.public,
        guarded,
        backends: guarded ? plan.backends.map((backend) => backend.name) : [],
        guards: guarded ? plan.guards.map(describeGuard) : [],
        permissions: [...new Set(permissionsOf(found.handler, found.controller))].sort(),
        warnings: !guarded ? [UNGUARDED_FIELD] : found.transport === 'rpc' ? rpcWarnings : [],
      };
      return routesOf(found, httpRoutes).map((route) => ({ ...base, route }));
    }),
  );
  return entries.flat().sort(compareEntries);
}

/** The app's `WardenGuard` (or subclass) instance, the one `APP_GUARD` installed. */
function findGuard(modules: ModulesContainer): WardenGuard {
  for (const module of modules.values()) {
    for (const wrapper of module.providers.values()) {
      if (wrapper.instance instanceof WardenGuard) return wrapper.instance;
    }
  }
  throw new TypeError('securityReport(): this app does not import AuthModule.forRoot() / forRootAsync(), so nothing guards its handlers');
}

/**
 * The handler's plan as the global guard resolves and caches it for requests: the report
 * shows what a call meets, never a second reading of the decorators.
 */
function planOf(guard: WardenGuard, handler: Handler, controller: Controller): Promise<Plan> {
  return Promise.resolve(guard['planFor'](handler, controller));
}

function permissionsOf(handler: Handler, controller: Controller): string[] {
  const onMethod = Reflect.getMetadata(PERMISSIONS_METADATA, handler) as string[] | undefined;
  const onClass = Reflect.getMetadata(PERMISSIONS_METADATA, controller) as string[] | undefined;
  return [...(onMethod ?? []), ...(onClass ?? [])];
}

/** `GET /orders/:id` for each path and method a controller method is served at. */
function httpRoutesOf(app: INestApplicationContext): Map<Function, string[]> {
  const byHandler = new Map<Function, string[]>();
  const routes = RouteIndex.of(app, false)['routes'];
  for (const [key, handlers] of routes) {
    const method = key.slice(0, key.indexOf(' '));
    for (const { handler, path } of handlers) {
      byHandler.set(handler, [...(byHandler.get(handler) ?? []), `${method === '*' ? 'ALL' : method} ${path}`]);
    }
  }
  return byHandler;
}

function routesOf(found: DiscoveredHandler, httpRoutes: Map<Function, string[]>): string[] {
  switch (found.transport) {
    case 'http':
      return httpRoutes.get(found.handler) ?? [];
    case 'rpc':
      return rpcRoutes(found.handler);
    case 'graphql':
      return [graphqlRoute(found.handler, found.controller, found.name)];
    case 'ws':
      return [wsRoute(found.handler, found.name)];
  }
}

/**
 * Whether a microservice of this app runs without this guard: Nest gives a microservice
 * connected without `{ inheritAppConfig: true }` a configuration of its own, without the
 * app's global guards (`APP_GUARD`), and a module cannot see it; the app object can.
 */
function unguardedMicroservices(app: INestApplicationContext, guard: WardenGuard): boolean {
  const microservices = (app as { getMicroservices?: () => unknown[] }).getMicroservices?.() ?? [];
  return microservices.some((microservice) => {
    const config = (microservice as { applicationConfig?: GuardConfig }).applicationConfig;
    if (config === undefined) return false;
    const guards = [...(config.getGlobalGuards?.() ?? []), ...(config.getGlobalRequestGuards?.() ?? []).map((wrapper) => wrapper.instance)];
    return !guards.includes(guard);
  });
}

interface GuardConfig {
  getGlobalGuards?: () => unknown[];
  getGlobalRequestGuards?: () => { instance: unknown }[];
}

const TRANSPORT_ORDER = ['http', 'graphql', 'ws', 'rpc'];

function compareEntries(a: RouteSecurity, b: RouteSecurity): number {
  return (
    TRANSPORT_ORDER.indexOf(a.transport) - TRANSPORT_ORDER.indexOf(b.transport) ||
    compareText(a.route, b.route) ||
    compareText(a.handler, b.handler)
  );
}

/** Code-unit order, not the locale's: the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
