/**
 * The load generator, in its own process (never the server's): runs autocannon once
 * against 127.0.0.1 and sends the driver the numbers it needs.
 */
import { createRequire } from 'node:module';

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
}
export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  /** Server CPU time (user + system) per request, in microseconds; set by the driver. */
  cpuPerRequest?: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

process.on('disconnect', () => process.exit(0));
process.once('message', (raw: unknown) => {
  const request = raw as LoadRequest;
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(request.url)) throw new Error('the bench only loads 127.0.0.1');
  autocannon({
    url: request.url,
    headers: request.headers,
    connections: request.connections,
    duration: request.duration,
    pipelining: 1,
  }).then(
    (result) => {
      const reply: LoadResult = {
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        total: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      };
      process.send?.(reply, () => process.exit(0));
    },
    (error: unknown) => {
      process.stderr.write(`autocannon failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
