// `nestjs-warden/otel`: OpenTelemetry metrics and spans, kept off the main entry (optional peer `@opentelemetry/api`).
import './peer-check.js';

export { instrumentAuth, WardenTelemetry, type WardenTelemetryOptions } from './warden-telemetry.js';
export { WARDEN_METRICS } from './metric-names.js';
