import type { Guard } from '../guards/guard.interface.js';

// The integrations' own metadata keys, read as strings so that no optional package is loaded.
const RPC_PATTERN = 'microservices:pattern';
const RPC_HANDLER_TYPE = 'microservices:handler_type';
const RPC_EVENT = 2;
const GRAPHQL_RESOLVER_TYPE = 'graphql:resolver_type';
const GRAPHQL_RESOLVER_NAME = 'graphql:resolver_name';
const WS_MESSAGE = 'message';

/**
 * A guard by the name a user writes it with: `IsAuthenticated`, `HasAllPermissions(a, b)`,
 * `HasAnyRole(admin)`; a custom guard by its class name, or its own `toString()` when it has one.
 */
export function describeGuard(guard: Guard): string {
  // The built-in permission, role, scope, step-up and predicate guards name themselves this way.
  const own = (guard as { toString?: () => string }).toString;
  if (typeof own === 'function' && own !== Object.prototype.toString) return own.call(guard);
  const name = (guard as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'anonymous guard';
  // The built-in guard classes are named after their factory plus `Guard`.
  return /^(IsAuthenticated|AllowAny|IsAdmin|IsStaff|IsFresh)Guard$/.test(name) ? name.slice(0, -'Guard'.length) : name;
}

/** `message "orders.get"` / `event "audit"` for each pattern of a microservice handler. */
export function rpcRoutes(handler: Function): string[] {
  const kind = Reflect.getMetadata(RPC_HANDLER_TYPE, handler) === RPC_EVENT ? 'event' : 'message';
  const patterns = (Reflect.getMetadata(RPC_PATTERN, handler) as unknown[] | undefined) ?? [];
  return patterns.map((pattern) => `${kind} ${JSON.stringify(pattern) ?? String(pattern)}`);
}

/** `Query.me`, `Mutation.createOrder`, `Order.items` (a field resolver under its parent type). */
export function graphqlRoute(handler: Function, resolver: Function, method: string): string {
  const type: unknown = Reflect.getMetadata(GRAPHQL_RESOLVER_TYPE, handler) ?? Reflect.getMetadata(GRAPHQL_RESOLVER_TYPE, resolver);
  const name: unknown = Reflect.getMetadata(GRAPHQL_RESOLVER_NAME, handler);
  return `${typeName(type) ?? resolver.name}.${typeof name === 'string' && name !== '' ? name : method}`;
}

/** `message "chat"` for a WebSocket gateway's `@SubscribeMessage('chat')`. */
export function wsRoute(handler: Function, method: string): string {
  const message: unknown = Reflect.getMetadata(WS_MESSAGE, handler);
  return `message ${JSON.stringify(message ?? method) ?? method}`;
}

/** A GraphQL type given as a string, a class, or a thunk returning either. */
function typeName(type: unknown): string | undefined {
  if (typeof type === 'string') return type;
  if (typeof type !== 'function') return undefined;
  // A class is named; a thunk (`() => Order`) is anonymous or named after its variable.
  if (/^class[\s{]/.test(Function.prototype.toString.call(type))) return (type as { name: string }).name;
  try {
    return typeName((type as () => unknown)());
  } catch {
    return (type as { name: string }).name || undefined;
  }
}
