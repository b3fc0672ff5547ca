import { describe, expect, it } from 'vitest';
import { ApiKeyAuthentication, type AuthRequest } from '../../src/index.js';

const KEY = 'tk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const keys = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'timing' } } });
const requestFor = (key: string): AuthRequest => ({
  headers: { 'x-api-key': key },
  rawHeaders: ['X-API-Key', key],
  method: 'GET',
  url: '/',
});

function rejectionNs(key: string): bigint {
  const request = requestFor(key);
  const start = process.hrtime.bigint();
  try {
    keys.authenticate(request);
  } catch {
    // refused, as expected
  }
  return process.hrtime.bigint() - start;
}

const median = (values: bigint[]): number => Number([...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[values.length >> 1]);

describe('API key rejection time does not depend on how much of the key is right', () => {
  it('wrong keys sharing 0 or all-but-one leading bytes are refused in the same time (statistical, reported)', () => {
    const far = `X${KEY.slice(1, -1)}X`.replace(/./g, (c, i) => (i === 0 ? 'Z' : c === 'a' ? 'b' : 'a'));
    const near = `${KEY.slice(0, -1)}X`;
    const samples = { far: [] as bigint[], near: [] as bigint[] };
    for (let i = 0; i < 2000; i++) rejectionNs(i % 2 ? far : near); // warm-up
    for (let i = 0; i < 20_000; i++) {
      // Interleaved, so drift in machine load hits both groups alike.
      if (i % 2) samples.far.push(rejectionNs(far));
      else samples.near.push(rejectionNs(near));
    }
    const farMedian = median(samples.far);
    const nearMedian = median(samples.near);
    const ratio = nearMedian / farMedian;
    console.log(
      `API key rejection: median ${farMedian} ns (0 leading bytes right) vs ${nearMedian} ns (all but the last), ratio ${ratio.toFixed(3)}`,
    );
    // Hash-then-compare: both paths do the same work; only gross differences would be a signal.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
