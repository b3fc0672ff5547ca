import type { BenchAlgorithm } from './fixtures.js';

/** The `'zipf'` load: users, and how many requests a token serves before its user gets a new one. */
export const ZIPF_USERS = 10_000;
export const ZIPF_USES = 100;

export type Adapter = 'express' | 'fastify';
export const ADAPTERS: readonly Adapter[] = ['express', 'fastify'];

/** One row of the table: an app, and the credential each request carries. */
export interface Scenario {
  id: string;
  label: string;
  /** Which app module the server builds (bench/apps/<app>.app.ts). */
  app: 'unprotected' | 'raw-guard' | 'passport' | 'warden';
  /** The token each request carries (`Authorization: Bearer`), if any. */
  token?: BenchAlgorithm;
  /** Each request carries the API key instead of a token. */
  apiKey?: boolean;
  /** nestjs-warden only: `@Permissions()` on the route. */
  permissions?: boolean;
  /** nestjs-warden only: a `userLoader` configured (never called by the handler). */
  userLoader?: boolean;
  /**
   * nestjs-warden only, its `AsyncLocalStorage` scope (on by default): `'read'` has the handler
   * read `AuthContextService`, `'off'` sets `contextStorage: false`.
   */
  context?: 'read' | 'off';
  /** nestjs-warden only: `RedisRevocation` as the module's store. */
  redis?: boolean;
  /** nestjs-warden only: `PostgresRevocation` as the module's store, on DATABASE_URL (default: the local server's `postgres` database). */
  postgres?: boolean;
  /**
   * nestjs-warden only: who observes the app. `'listener'` subscribes one `AuthEvents` listener
   * (it counts events); `'otel'` installs the OpenTelemetry SDK as an app would (a MeterProvider with
   * a periodic reader, a TracerProvider with a batch processor) and `instrumentAuth`.
   */
  observe?: 'listener' | 'otel';
  /**
   * How the requests' tokens vary (default: one token of `token`, reused by every request).
   * `'distinct'`: {@link DISTINCT_TOKENS} valid tokens of `token` cycled in order, more than the
   * verified-token cache holds, so every request is a miss; `'forged'`: as many well-formed
   * tokens with random signatures (each answered 401, which is what the row expects);
   * `'zipf'`: 10,000 users with Zipf-distributed (s = 1) requests, each user's HS256 token
   * replaced by a fresh one after {@link ZIPF_USES} uses (short-lived tokens: hits and misses mixed).
   */
  load?: 'distinct' | 'forged' | 'zipf';
  /** The row whose req/s this row's ratio is taken against (same load generator). @default 'unprotected' */
  ceiling?: string;
  /** A row that needs a part still being built: the export the built package must have. */
  requires?: { exportName: string; file: string };
  /** Kept by `--quick`. */
  quick: boolean;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'unprotected', label: 'unprotected (no auth module)', app: 'unprotected', quick: true },
  { id: 'raw', label: 'reference: hand-written node:crypto guard', app: 'raw-guard', token: 'HS256', quick: false },
  { id: 'passport', label: '@nestjs/passport + passport-jwt HS256', app: 'passport', token: 'HS256', quick: true },
  { id: 'hs256', label: 'nestjs-warden HS256', app: 'warden', token: 'HS256', quick: true },
  { id: 'rs256', label: 'nestjs-warden RS256', app: 'warden', token: 'RS256', quick: true },
  { id: 'es256', label: 'nestjs-warden ES256', app: 'warden', token: 'ES256', quick: false },
  { id: 'eddsa', label: 'nestjs-warden EdDSA', app: 'warden', token: 'EdDSA', quick: false },
  { id: 'perms', label: 'nestjs-warden HS256 + @Permissions', app: 'warden', token: 'HS256', permissions: true, quick: true },
  { id: 'loader', label: 'nestjs-warden HS256 + userLoader (unused)', app: 'warden', token: 'HS256', userLoader: true, quick: false },
  {
    id: 'context',
    label: 'nestjs-warden HS256 + AuthContextService read in the handler',
    app: 'warden',
    token: 'HS256',
    context: 'read',
    quick: true,
  },
  { id: 'nocontext', label: 'nestjs-warden HS256, contextStorage: false', app: 'warden', token: 'HS256', context: 'off', quick: true },
  {
    id: 'apikey',
    label: 'nestjs-warden API key',
    app: 'warden',
    apiKey: true,
    requires: { exportName: 'ApiKeyAuthentication', file: 'src/backends/api-key.backend.ts' },
    quick: true,
  },
  {
    id: 'redis',
    label: 'nestjs-warden HS256 + RedisRevocation',
    app: 'warden',
    token: 'HS256',
    redis: true,
    quick: true,
  },
  {
    id: 'postgres',
    label: 'nestjs-warden HS256 + PostgresRevocation',
    app: 'warden',
    token: 'HS256',
    postgres: true,
    quick: true,
  },
  {
    id: 'events',
    label: 'nestjs-warden HS256 + an AuthEvents listener',
    app: 'warden',
    token: 'HS256',
    observe: 'listener',
    requires: { exportName: 'AuthEvents', file: 'src/events/auth-events.ts' },
    quick: true,
  },
  {
    id: 'otel',
    label: 'nestjs-warden HS256 + OpenTelemetry SDK (nestjs-warden/otel)',
    app: 'warden',
    token: 'HS256',
    observe: 'otel',
    requires: { exportName: 'AuthEvents', file: 'src/otel/warden-telemetry.ts' },
    quick: true,
  },
  // Issue 20: where the verified-token cache cannot help. Rotated tokens are set per request by
  // the load generator (autocannon's setupRequest), which costs it more than a fixed request, so
  // these rows are compared with the unprotected app under that same load.
  {
    id: 'unprotected-rot',
    label: 'unprotected, rotating-token load (ceiling of the rows below)',
    app: 'unprotected',
    token: 'HS256',
    load: 'distinct',
    quick: false,
  },
  ...(['HS256', 'RS256', 'ES256', 'EdDSA'] as const).flatMap((alg): Scenario[] => [
    {
      id: `raw-${alg.toLowerCase()}-distinct`,
      label: `reference: hand-written node:crypto ${alg} guard, no cache, distinct tokens`,
      app: 'raw-guard',
      token: alg,
      load: 'distinct',
      ceiling: 'unprotected-rot',
      quick: false,
    },
    {
      id: `${alg.toLowerCase()}-distinct`,
      label: `nestjs-warden ${alg}, distinct tokens (every request a cache miss)`,
      app: 'warden',
      token: alg,
      load: 'distinct',
      ceiling: 'unprotected-rot',
      quick: false,
    },
  ]),
  {
    id: 'hs256-forged',
    label: 'nestjs-warden HS256, forged distinct tokens (401 expected)',
    app: 'warden',
    token: 'HS256',
    load: 'forged',
    ceiling: 'unprotected-rot',
    quick: false,
  },
  {
    id: 'hs256-zipf',
    label: 'nestjs-warden HS256, 10,000 users, Zipf requests, a new token every 100 uses',
    app: 'warden',
    token: 'HS256',
    load: 'zipf',
    ceiling: 'unprotected-rot',
    quick: false,
  },
];

/** The path every scenario serves: a small JSON body. */
export const ROUTE = '/hello';
