import { metrics, trace } from '@opentelemetry/api';
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AuthEvents } from 'nestjs-warden';

/** The `events` row: one listener that does what a cheap audit hook does (counts by type). */
export function subscribeListener(events: AuthEvents): void {
  const counts = new Map<string, number>();
  events.subscribe((event) => {
    counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  });
}

/**
 * The `otel` row: the OpenTelemetry SDK registered globally as an app's tracing setup would
 * (a MeterProvider read every 10 s, a TracerProvider with a batch processor), then
 * `instrumentAuth`'s instruments on this app's events.
 */
export async function installOtel(events: AuthEvents, store: unknown): Promise<void> {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 10_000,
  });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new InMemorySpanExporter())] }));
  const { WardenTelemetry } = await import('nestjs-warden/otel');
  new WardenTelemetry(events, store);
}
