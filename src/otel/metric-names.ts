/**
 * The instruments `nestjs-warden/otel` records. Names follow the OpenTelemetry naming guidelines
 * (a `warden.` namespace, dot-separated, singular units in UCUM, durations in seconds, `error.type`
 * for the failure), modelled on ASP.NET Core's `aspnetcore.authentication.*` and
 * `aspnetcore.authorization.*` instruments, the closest prior art in the semantic conventions.
 * Exporters derive their own spelling: Prometheus shows `warden.authentication.attempts` as
 * `warden_authentication_attempts_total`, `warden.authentication.duration` as
 * `warden_authentication_duration_seconds_bucket`.
 */
export const WARDEN_METRICS = {
  /** Counter: requests the global guard decided, by `warden.authentication.result`, `warden.authentication.backend`, `error.type`. */
  authentications: 'warden.authentication.attempts',
  /** Histogram (s): time in the global guard, same attributes. */
  authenticationDuration: 'warden.authentication.duration',
  /** Counter: token operations by `warden.token.operation` (login, refresh, logout, logout_all, revoke). */
  tokenOperations: 'warden.token.operations',
  /** Counter: refresh tokens presented twice (each revoked its login family). */
  refreshReuses: 'warden.token.reuses',
  /** Counter: store outages by `warden.store` (one per outage, not per request). */
  storeOutages: 'warden.store.outages',
  /** Counter: key-set fetches by `warden.jwks.result` (success, failure). */
  jwksFetches: 'warden.jwks.fetches',
  /** Counter: revocation replica demotions by `warden.store`. */
  replicaDemotions: 'warden.revocation.replica.demotions',
  /** Gauge: revocations held by the local replica. */
  replicaEntries: 'warden.revocation.replica.entries',
  /** Gauge (s): time since the replica last knew it was current. */
  replicaStaleness: 'warden.revocation.replica.staleness',
  /** Gauge: 1 while the replica answers locally, 0 while checks ask the shared store. */
  replicaServing: 'warden.revocation.replica.serving',
  /** Histogram (s): work that costs, by `warden.operation` (the span name: `warden.jwks.fetch`, `warden.user.load`, `warden.revocation.redis`) and `error.type`. */
  operationDuration: 'warden.operation.duration',
} as const;
