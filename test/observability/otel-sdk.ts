import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A reader the test collects from when it wants (no timer). */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A point of any metric, with its attributes and the value a test compares. */
export interface Point {
  attributes: Record<string, unknown>;
  /** The sum or gauge value; for a histogram, its count. */
  value: number;
  /** Histograms only: the sum of the recorded values. */
  sum?: number;
}

/** The real OpenTelemetry SDK as an app installs it: a MeterProvider with a reader, a TracerProvider, an async context manager. */
export class OtelSdk {
  readonly reader = new CollectingReader();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  readonly spans = new InMemorySpanExporter();
  readonly tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.spans)] });
  private readonly contextManager = new AsyncLocalStorageContextManager().enable();

  constructor() {
    context.setGlobalContextManager(this.contextManager);
  }

  async metrics(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw errors[0];
    const byName = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    return byName;
  }

  /** The points of one metric (none when it recorded nothing). */
  async points(name: string): Promise<Point[]> {
    const metric = (await this.metrics()).get(name);
    if (metric === undefined) return [];
    return (metric.dataPoints as DataPoint<unknown>[]).map((point) => {
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        const value = point.value as { count: number; sum?: number };
        return { attributes: { ...point.attributes }, value: value.count, sum: value.sum ?? 0 };
      }
      return { attributes: { ...point.attributes }, value: point.value as number };
    });
  }

  async shutdown(): Promise<void> {
    context.disable();
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
  }
}

/** The value of the point whose attributes include `match` (0 when none). */
export function valueOf(points: Point[], match: Record<string, unknown>): number {
  const found = points.filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value));
  return found.reduce((total, point) => total + point.value, 0);
}
