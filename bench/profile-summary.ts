/**
 * `node bench/dist/profile-summary.js <file.cpuprofile> [requests]`: where a `--profile` run's CPU
 * went. Prints the busiest functions by self time, and the inclusive time of the request path's
 * steps (guard, backend, verifier, decoding, signature, claims, cache, refusal), as a share of the
 * busy time and, given the number of requests the profiled server answered, in µs per request.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const STEPS =
  /^(canActivate|authenticate|verifyOwn|verifyFresh|decodeJwt|checkHeader|parseObject|verifyDecoded|verifySignature|checkClaims|remember|verifiedToken|deepFreeze|toResult|revocationQuery|admits|set|get|refusal|HttpException|Hmac|digest|catch|\(garbage collector\)) /;

const [file, requestsArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile> [requests]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const name = (node: ProfileNode): string =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber + 1}`;

const selfTime = new Map<string, number>();
const inclusive = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  const node = nodes.get(id)!;
  if (node.callFrame.functionName === '(idle)') return;
  busy += delta;
  selfTime.set(name(node), (selfTime.get(name(node)) ?? 0) + delta);
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
    const key = name(nodes.get(current)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
  }
});

const requests = requestsArg === undefined ? undefined : Number(requestsArg);
const cell = (micros: number): string =>
  `${((100 * micros) / busy).toFixed(1).padStart(5)} %${requests === undefined ? '' : `  ${(micros / requests).toFixed(2).padStart(7)} µs/req`}`;
console.log(`busy ${(busy / 1e6).toFixed(2)} s${requests === undefined ? '' : ` over ${requests} requests`}\n\nself time, top 25:`);
for (const [key, micros] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${cell(micros)}  ${key}`);
console.log('\nthe request path, inclusive:');
for (const [key, micros] of [...inclusive].filter(([key]) => STEPS.test(key)).sort((a, b) => b[1] - a[1])) {
  if (micros / busy >= 0.002) console.log(`${cell(micros)}  ${key}`);
}
