/**
 * The load generator, in its own process (never the server's): runs autocannon once
 * against 127.0.0.1 and sends the driver the numbers it needs. With `tokens`, each request
 * carries the next token of a rotation (autocannon's `setupRequest`), or a Zipf mix of users.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mintToken } from './fixtures.js';

/** Where each request's token comes from, when it is not one fixed header. */
export type TokenSource = { kind: 'file'; path: string } | { kind: 'zipf'; secret: string; users: number; uses: number };

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  tokens?: TokenSource;
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
interface RequestData {
  headers: Record<string, string>;
}

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The next token to send, one call per request. */
function tokenStream(source: TokenSource): () => string {
  if (source.kind === 'file') {
    const tokens = readFileSync(source.path, 'utf8').split('\n');
    let next = 0;
    return () => tokens[next++ % tokens.length]!;
  }
  // Zipf (s = 1): user k (1-based) is asked with weight 1/k; sampled by binary search in the CDF.
  const cdf = new Float64Array(source.users);
  let sum = 0;
  for (let k = 0; k < source.users; k++) cdf[k] = sum += 1 / (k + 1);
  for (let k = 0; k < source.users; k++) cdf[k]! /= sum;
  const current = new Array<string | undefined>(source.users);
  const used = new Uint32Array(source.users);
  return () => {
    const draw = Math.random();
    let low = 0;
    let high = source.users - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < draw) low = middle + 1;
      else high = middle;
    }
    // A short-lived token: after `uses` requests its user holds a new one (refreshed, or a new login).
    if (used[low]! % source.uses === 0)
      current[low] = mintToken('HS256', source.secret, undefined, String(low), Math.floor(Date.now() / 1000));
    used[low]!++;
    return current[low]!;
  };
}

process.on('disconnect', () => process.exit(0));
process.once('message', (raw: unknown) => {
  const request = raw as LoadRequest;
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(request.url)) throw new Error('the bench only loads 127.0.0.1');
  const next = request.tokens === undefined ? undefined : tokenStream(request.tokens);
  autocannon({
    url: request.url,
    headers: request.headers,
    connections: request.connections,
    duration: request.duration,
    pipelining: 1,
    ...(next === undefined
      ? {}
      : {
          requests: [
            {
              setupRequest: (data: RequestData) => {
                data.headers.authorization = `Bearer ${next()}`;
                return data;
              },
            },
          ],
        }),
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
