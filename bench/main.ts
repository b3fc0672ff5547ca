/**
 * `npm run bench [-- --quick]`: nestjs-warden against the unprotected route and the
 * official passport recipe, on Express and Fastify, with each server and each load
 * generator in its own process, on 127.0.0.1 only. Prints the tables; exits 0 once it
 * completed whatever the ratios (1 only when a scenario could not run at all).
 *
 * Options: --quick, --runs N, --duration S, --only id,id, --adapter express|fastify,
 * --profile id (writes a --cpu-prof of that server to bench/profiles/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ask, forkScript, installCleanup, killAll, startRedis, stop } from './children.js';
import { ALGORITHMS, DISTINCT_TOKENS, makeFixtures, mintDistinct, mintForged, type BenchAlgorithm, type Fixtures } from './fixtures.js';
import type { LoadRequest, LoadResult, TokenSource } from './load.js';
import { httpTable, key, microTable, missTable, costTable, targetTable, type Outcome } from './report.js';
import { ADAPTERS, ROUTE, SCENARIOS, ZIPF_USERS, ZIPF_USES, type Adapter, type Scenario } from './scenarios.js';
import type { ServerReply, StartMessage } from './server.js';
import type { MicroRequest, MicroResult } from './verify-micro.js';

const CONNECTIONS = 50;
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    duration: { type: 'string' },
    only: { type: 'string' },
    adapter: { type: 'string' },
    profile: { type: 'string' },
    'no-micro': { type: 'boolean', default: false },
  },
});
const quick = args.quick === true;
const runs = Number(args.runs ?? (quick ? 1 : 3));
const duration = Number(args.duration ?? (quick ? 3 : 10));
const warmup = quick ? 1 : 2;
const only = args.only?.split(',');
const adapters = ADAPTERS.filter((adapter) => args.adapter === undefined || args.adapter === adapter);
const scenarios = SCENARIOS.filter((scenario) =>
  only === undefined ? !quick || scenario.quick : only.includes(scenario.id) || scenario.id === 'unprotected',
);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Running {
  scenario: Scenario;
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
  /** Where each request's token comes from, for the rotating rows. */
  tokens?: TokenSource;
}

/** The rotating rows' token sets: minted once per run, written to a file each load generator reads. */
const tokenDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
process.on('exit', () => rmSync(tokenDir, { recursive: true, force: true }));
const tokenFiles = new Map<string, { path: string; first: string }>();

function tokenSet(load: 'distinct' | 'forged', alg: BenchAlgorithm, fixtures: Fixtures): { path: string; first: string } {
  const name = `${load}-${alg}`;
  let set = tokenFiles.get(name);
  if (set === undefined) {
    const started = Date.now();
    const tokens = load === 'forged' ? mintForged(alg, DISTINCT_TOKENS[alg]) : mintDistinct(fixtures, alg, DISTINCT_TOKENS[alg]);
    set = { path: join(tokenDir, `${name}.txt`), first: tokens[0]! };
    writeFileSync(set.path, tokens.join('\n'));
    tokenFiles.set(name, set);
    log(`${tokens.length} ${load} ${alg} tokens minted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return set;
}

function tokenSource(scenario: Scenario, fixtures: Fixtures): TokenSource | undefined {
  if (scenario.load === undefined) return undefined;
  if (scenario.load === 'zipf') return { kind: 'zipf', secret: fixtures.secret, users: ZIPF_USERS, uses: ZIPF_USES };
  return { kind: 'file', path: tokenSet(scenario.load, scenario.token ?? 'HS256', fixtures).path };
}

/** Why a row cannot run yet: its part has not landed (not in git log, or not in the build). */
async function missingPart(scenario: Scenario): Promise<string | undefined> {
  const requires = scenario.requires;
  if (requires === undefined) return undefined;
  const exported = ((await import('nestjs-warden')) as Record<string, unknown>)[requires.exportName] !== undefined;
  const git = spawnSync('git', ['log', '--oneline', '-1', '--', requires.file], { cwd: repoRoot, encoding: 'utf8' });
  const landed = git.status !== 0 || git.stdout.trim() !== '';
  return exported && landed ? undefined : 'n/a (not built)';
}

function credential(scenario: Scenario, fixtures: Fixtures): Record<string, string> {
  if (scenario.apiKey === true) return { 'x-api-key': fixtures.apiKey };
  if (scenario.load === 'distinct' || scenario.load === 'forged') {
    return { authorization: `Bearer ${tokenSet(scenario.load, scenario.token ?? 'HS256', fixtures).first}` };
  }
  if (scenario.token !== undefined) return { authorization: `Bearer ${fixtures.tokens[scenario.token]}` };
  return {};
}

async function startServer(scenario: Scenario, adapter: Adapter, fixtures: Fixtures, redisUrl: string | undefined): Promise<Running> {
  const profiling = args.profile === scenario.id;
  const execArgv = profiling
    ? ['--cpu-prof', `--cpu-prof-dir=${repoRoot}bench/profiles`, `--cpu-prof-name=${adapter}-${scenario.id}.cpuprofile`]
    : [];
  const child = forkScript('server.js', execArgv);
  const message: StartMessage = { type: 'start', scenario, adapter, fixtures, ...(redisUrl === undefined ? {} : { redisUrl }) };
  const port = await ask(
    child,
    message,
    (reply) => {
      const typed = reply as ServerReply;
      if (typed.type === 'error') throw new Error(typed.message);
      return typed.type === 'ready' ? typed.port : undefined;
    },
    30_000,
  );
  const tokens = tokenSource(scenario, fixtures);
  const running: Running = {
    scenario,
    child,
    url: `http://127.0.0.1:${port}${ROUTE}`,
    headers: credential(scenario, fixtures),
    ...(tokens === undefined ? {} : { tokens }),
  };
  await sanityCheck(running);
  return running;
}

/**
 * The row measures what it says: the credential gets a 200 with the body (a forged one a 401
 * `token_invalid`), no credential gets a 401.
 */
async function sanityCheck({ scenario, url, headers }: Running): Promise<void> {
  const ok = await fetch(url, { headers });
  const body = await ok.text();
  if (scenario.load === 'forged') {
    if (ok.status !== 401 || !body.includes('"token_invalid"')) throw new Error(`a forged token got ${ok.status} ${body.slice(0, 120)}`);
  } else if (ok.status !== 200 || body !== '{"hello":"world"}') throw new Error(`the credential got ${ok.status} ${body.slice(0, 120)}`);
  if (scenario.app !== 'unprotected') {
    const refused = await fetch(url);
    await refused.arrayBuffer();
    if (refused.status !== 401) throw new Error(`no credential got ${refused.status}, not 401`);
  }
}

const cpuOf = (server: Running): Promise<number> =>
  ask(
    server.child,
    { type: 'cpu' },
    (reply) => ((reply as ServerReply).type === 'cpu' ? (reply as { micros: number }).micros : undefined),
    5000,
  );

async function load(server: Running, seconds: number): Promise<LoadResult> {
  const cpuBefore = await cpuOf(server);
  const child = forkScript('load.js');
  const request: LoadRequest = {
    url: server.url,
    headers: server.headers,
    connections: CONNECTIONS,
    duration: seconds,
    ...(server.tokens === undefined ? {} : { tokens: server.tokens }),
  };
  const result = await ask(child, request, (reply) => reply as LoadResult, (seconds + 20) * 1000);
  // A forged-token row expects every answer to be a refusal (checked as 401 by sanityCheck).
  const unexpected = server.scenario.load === 'forged' ? result.total - result.non2xx : result.non2xx;
  if (unexpected > 0 || result.errors > 0 || result.total === 0) {
    throw new Error(`${unexpected} unexpected statuses and ${result.errors} errors out of ${result.total} requests`);
  }
  result.cpuPerRequest = ((await cpuOf(server)) - cpuBefore) / result.total;
  return result;
}

async function rss(server: Running): Promise<number | undefined> {
  return ask(
    server.child,
    { type: 'rss' },
    (reply) => ((reply as ServerReply).type === 'rss' ? (reply as { rss: number }).rss : undefined),
    5000,
  ).catch(() => undefined);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replace(/\|/g, '/');

/** One adapter: every server started, warmed up, then measured in interleaved rounds. */
async function benchAdapter(
  adapter: Adapter,
  fixtures: Fixtures,
  results: Map<string, Outcome>,
  redis: () => Promise<string>,
): Promise<void> {
  const running: Running[] = [];
  for (const scenario of scenarios) {
    const missing = await missingPart(scenario);
    if (missing !== undefined) {
      results.set(key(adapter, scenario.id), { skipped: missing });
      continue;
    }
    try {
      running.push(await startServer(scenario, adapter, fixtures, scenario.redis === true ? await redis() : undefined));
      results.set(key(adapter, scenario.id), { runs: [] });
    } catch (error) {
      results.set(key(adapter, scenario.id), { failed: message(error) });
    }
  }
  const alive = (server: Running): boolean => 'runs' in results.get(key(adapter, server.scenario.id))!;
  let profiled = 0;
  const measure = async (server: Running, seconds: number, keep: boolean): Promise<void> => {
    if (!alive(server)) return;
    const id = key(adapter, server.scenario.id);
    try {
      const result = await load(server, seconds);
      if (keep) (results.get(id) as { runs: LoadResult[] }).runs.push(result);
      if (args.profile === server.scenario.id) profiled += result.total;
    } catch (error) {
      results.set(id, { failed: message(error) });
    }
  };
  log(`${adapter}: ${running.length} servers up, warming up`);
  for (const server of running) await measure(server, warmup, false);
  for (let round = 1; round <= runs; round++) {
    log(`${adapter}: round ${round}/${runs}`);
    for (const server of running) await measure(server, duration, true);
  }
  // What bench/dist/profile-summary.js divides by: every request of the profile, warm-up included.
  if (profiled > 0) log(`${adapter}: the profiled server answered ${profiled} requests`);
  for (const server of running) {
    const outcome = results.get(key(adapter, server.scenario.id))!;
    if ('runs' in outcome) outcome.rss = await rss(server);
    await stop(server.child);
  }
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function main(): Promise<number> {
  installCleanup();
  const started = Date.now();
  const fixtures = makeFixtures();
  const results = new Map<string, Outcome>();
  let redisUrl: Promise<string> | undefined;
  const redis = (): Promise<string> => (redisUrl ??= startRedis());
  log(`${quick ? 'quick' : 'full'} run: ${runs} × ${duration} s per scenario, ${CONNECTIONS} connections, ${scenarios.length} scenarios`);
  for (const adapter of adapters) await benchAdapter(adapter, fixtures, results, redis);
  let micro: MicroResult | undefined;
  if (args['no-micro'] !== true) {
    log('verify micro-benchmark');
    const missTokens = {} as MicroRequest['missTokens'];
    for (const alg of ALGORITHMS)
      missTokens[alg] = { valid: tokenSet('distinct', alg, fixtures).path, forged: tokenSet('forged', alg, fixtures).path };
    const request: MicroRequest = { fixtures, durationMs: quick ? 250 : 1000, missTokens };
    micro = await ask(forkScript('verify-micro.js'), request, (reply) => reply as MicroResult, 120_000);
  }
  killAll();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\nnestjs-warden bench — Node ${process.version}, ${cpus().length} × ${cpu}, autocannon ${CONNECTIONS} connections on 127.0.0.1, ` +
      `${runs} run(s) × ${duration} s per scenario (median), ratios to the unprotected route of this run\n`,
  );
  console.log(httpTable(scenarios, results));
  console.log('\nTargets (informational; the bench never fails on a ratio):\n');
  console.log(targetTable(results));
  console.log('\nServer cost: CPU time per request (user + system) and RSS after the load:\n');
  console.log(costTable(scenarios, results));
  if (micro !== undefined) {
    console.log('\nToken verification alone (one token reused; jsonwebtoken given the secret / PEM as a string, as its users do):\n');
    console.log(microTable(micro));
    console.log('\nThe miss path alone (distinct tokens cycled, more than the verified-token cache holds; the cache at its default):\n');
    console.log(missTable(micro));
  }
  console.log(`\nCompleted in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  const failed = [...results.values()].some((outcome) => 'failed' in outcome);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAll();
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
