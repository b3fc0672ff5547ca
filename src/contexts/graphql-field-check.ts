import { AUTH_METADATA } from '../auth.constants.js';
import { REQUIREMENTS } from '../decorators/resolve-auth.js';

/** A discovered handler, as `handler-discovery.ts` lists it (declared here: no import back into guards/). */
interface FoundHandler {
  handler: Function;
  controller: Function;
  name: string;
  transport: string;
}

/** A provider as `DiscoveryService#getProviders()` gives it (the fields read here). */
export interface ProviderWrapper {
  token?: unknown;
  instance?: unknown;
}

// @nestjs/graphql's own keys, read as strings so that the package is never loaded.
const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';
const GRAPHQL_RESOLVE_PROPERTY = 'graphql:resolve_property';

/**
 * Refuses to start an app where a GraphQL field resolver (`@ResolveField()`) carries
 * `@Auth()`, `@Permissions()`, `@Roles()` or `@Scopes()` (on the method or its resolver class) while the GraphQL
 * module does not run guards on field resolvers: `@nestjs/graphql` runs enhancers on them
 * only with `fieldResolverEnhancers: ['guards']`, so the decorators would silently not
 * apply and the field would be as open as every query that returns its parent type. And
 * `'guards'` needs `'filters'` beside it, or a refusal would not reach the filter that
 * gives it our code.
 *
 * With `['guards', 'filters']` the global guard runs on every field resolver (a field resolver with no
 * decorator then needs authentication like any handler, `@Public()` opens it); without it,
 * an undecorated field resolver is exactly as protected as the field that returned its parent.
 */
export function assertFieldResolversGuarded(providers: readonly ProviderWrapper[], handlers: readonly FoundHandler[]): void {
  const enhancers = fieldResolverEnhancers(providers);
  if (enhancers === undefined) return;
  const fields = handlers.filter(({ handler, transport }) => transport === 'graphql' && isFieldResolver(handler));
  if (enhancers.every((list) => list.includes('guards'))) {
    if (fields.length === 0 || enhancers.every((list) => list.includes('filters'))) return;
    throw new TypeError(
      "GraphQLModule.forRoot({ fieldResolverEnhancers }) has 'guards' without 'filters': a field resolver the global guard refuses " +
        "would answer the driver's generic error instead of nestjs-warden's code. Write fieldResolverEnhancers: ['guards', 'filters'].",
    );
  }
  const protectedFields = fields.filter(({ handler, controller }) => declaresProtection(handler, controller));
  if (protectedFields.length === 0) return;
  const names = protectedFields.map(({ controller, name }) => `${controller.name}.${name}`).join(', ');
  throw new TypeError(
    `GraphQL field resolver(s) ${names} carry @Auth(), @Permissions(), @Roles() or @Scopes(), but @nestjs/graphql runs no guard on field resolvers ` +
      "unless GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards', 'filters'] }): add that option (the global guard then runs on every " +
      'field resolver; mark open ones @Public()), or remove the decorators (the field is then as protected as the query that returns its parent).',
  );
}

/**
 * The `fieldResolverEnhancers` of each GraphQL module of the app (`[]` when unset);
 * `undefined` when the app has no GraphQL module.
 */
export function fieldResolverEnhancers(providers: readonly ProviderWrapper[]): unknown[][] | undefined {
  const options = providers.filter((wrapper) => wrapper.token === GRAPHQL_MODULE_OPTIONS).map((wrapper) => wrapper.instance);
  if (options.length === 0) return undefined;
  return options.map((value) => {
    const list = (value as { fieldResolverEnhancers?: unknown } | null | undefined)?.fieldResolverEnhancers;
    return Array.isArray(list) ? (list as unknown[]) : [];
  });
}

/** Whether a GraphQL handler is a field resolver (`@ResolveField()`), not a query, mutation or subscription. */
export function isFieldResolver(handler: Function): boolean {
  return Reflect.getMetadata(GRAPHQL_RESOLVE_PROPERTY, handler) === true;
}

/**
 * `@Auth()`, or a decorator that adds a requirement (`@Permissions()`, `@Roles()`, `@Scopes()`:
 * the list the guard's plan reads), in force on a handler (the nearest of method and class not being `@Public()`).
 */
function declaresProtection(handler: Function, controller: Function): boolean {
  const auth = (Reflect.getMetadata(AUTH_METADATA, handler) ?? Reflect.getMetadata(AUTH_METADATA, controller)) as
    { public?: boolean } | undefined;
  if (auth?.public === true) return false;
  return (
    auth !== undefined ||
    REQUIREMENTS.some(({ key }) => Reflect.getMetadata(key, handler) !== undefined || Reflect.getMetadata(key, controller) !== undefined)
  );
}
