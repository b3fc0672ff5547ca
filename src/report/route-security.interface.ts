/** The transports a handler can serve. */
export type RouteTransport = 'http' | 'rpc' | 'graphql' | 'ws';

/** How one handler of the app is protected, as the global guard resolves it (see `securityReport()`). */
export interface RouteSecurity {
  /** `http`, `rpc` (microservice), `graphql` or `ws` (WebSocket gateway). */
  transport: RouteTransport;
  /**
   * What a caller addresses: `GET /orders/:id` (the path as Nest serves it, global prefix and
   * versions applied), `message "orders.get"` / `event "audit"`, `Query.me`, `message "chat"`.
   */
  route: string;
  /** `Class.method`. */
  handler: string;
  /** `@Public()`: no backend runs, no guard applies. */
  public: boolean;
  /**
   * Whether the global guard runs on a call to it at all. `false` for a GraphQL field resolver
   * (`@ResolveField()`) when the GraphQL module has no `fieldResolverEnhancers: ['guards', …]`:
   * it is then exactly as protected as what returns its parent type (`backends` and `guards`
   * are empty, a warning says so).
   */
  guarded: boolean;
  /** The backends tried in order (their `name`); empty when public. */
  backends: string[];
  /** The guards run after authentication, by name (`IsAuthenticated`, `HasAllPermissions(orders:read)`); empty when public. */
  guards: string[];
  /** The permissions `@Permissions()` requires (method and class), sorted. */
  permissions: string[];
  /** What makes this entry less protected than it reads (a microservice connected without the global guard, a field resolver no guard runs on). */
  warnings: string[];
}
