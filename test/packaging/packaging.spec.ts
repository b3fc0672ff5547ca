import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgres } from '../utils/postgres.js';
import { useRedis } from '../utils/redis.js';
import {
  ROOT,
  explain,
  installApp,
  installedVersion,
  listFiles,
  packTarball,
  packageOf,
  reachableFrom,
  run,
  specifiersOf,
  stringsIn,
  type ConsumerResult,
  type NestMajor,
  type Run,
} from './consumer-apps.js';

// The packed tarball, installed as users install it: fresh apps in the OS temp directory with only
// the peers a user installs (see consumer-apps.ts), ES module and CommonJS, Express and Fastify,
// NestJS 12 and 11, Jest's default setup, the Redis subpath with and without ioredis.

const work = mkdtempSync(join(tmpdir(), 'nestjs-warden-packaging-'));
const apps: Record<NestMajor, string> = { 12: join(work, 'nest12'), 11: join(work, 'nest11') };
const timings: string[] = [];
let redis: { url: string; close(): Promise<void> } | undefined;

/** Runs a step of the matrix and keeps its duration for the closing table. */
async function timed(label: string, step: Promise<Run>): Promise<Run> {
  const result = await step;
  timings.push(`${label}: ${(result.ms / 1000).toFixed(1)} s`);
  return result;
}

const node = (app: NestMajor, label: string, args: string[], env: Record<string, string> = {}): Promise<Run> =>
  timed(`NestJS ${app}: ${label}`, run(process.execPath, args, apps[app], { env }));

/** A consumer app's answers, after checking it exited cleanly and printed nothing else (no warning on boot). */
function consumerResult(result: Run, what: string): ConsumerResult {
  expect(result.code, explain(what, result)).toBe(0);
  expect(result.stderr, explain(what, result)).toBe('');
  return JSON.parse(result.stdout.trim()) as ConsumerResult;
}

beforeAll(async () => {
  const packed = await packTarball(join(work, 'pack'));
  timings.push(`npm pack (prepack build): ${(packed.ms / 1000).toFixed(1)} s`);
  await Promise.all([
    timed('npm install, NestJS 12 app', installApp(apps[12], packed.tarball, 12, 'types')),
    timed('npm install, NestJS 11 app (with jest, ts-jest, typescript)', installApp(apps[11], packed.tarball, 11, 'jest-app')),
  ]);
  redis = await useRedis();
}, 900_000);

afterAll(async () => {
  await redis?.close();
  console.log(`packaging matrix (${work}):\n  ${timings.join('\n  ')}`);
  if (process.env.KEEP_PACKAGING_APPS === undefined) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  const installed = (): string => join(apps[12], 'node_modules/nestjs-warden');
  const read = (file: string): string => readFileSync(join(installed(), file), 'utf8');
  const manifest = (): Record<string, unknown> => JSON.parse(read('package.json')) as Record<string, unknown>;

  it('ships dist, LICENSE, README.md, SECURITY.md and docs, and no source maps, sources or tests', () => {
    const files = listFiles(installed());
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'SECURITY.md', 'package.json', 'dist/cjs/package.json', 'dist/esm/package.json']),
    );
    if (existsSync(join(ROOT, 'docs'))) expect(files.some((file) => file.startsWith('docs/'))).toBe(true);
    expect(files.filter((file) => file.endsWith('.map') || /sourceMappingURL/.test(read(file)))).toEqual([]);
    expect(files.filter((file) => /^(src|test|sample|bench|scripts)\//.test(file) || /\.spec\./.test(file))).toEqual([]);
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 nestjs-warden contributors\n/);
    expect(manifest()).toMatchObject({ license: 'MIT' });
  });

  it('points main, types, typesVersions and every exports condition at a file it ships', () => {
    const pkg = manifest();
    const targets = stringsIn([pkg.main, pkg.types, pkg.exports, pkg.typesVersions]);
    expect(targets.length).toBeGreaterThanOrEqual(12);
    expect(targets.filter((target) => !existsSync(join(installed(), target)))).toEqual([]);
  });

  it('declares every package dist/ imports, depends at run time only on what it imports, and keeps ioredis on its subpath', () => {
    const importers = new Map<string, string[]>();
    for (const file of listFiles(join(installed(), 'dist')).filter((name) => /\.(js|d\.ts)$/.test(name))) {
      for (const name of specifiersOf(read(`dist/${file}`)).map(packageOf)) {
        if (name !== undefined) importers.set(name, [...(importers.get(name) ?? []), file]);
      }
    }
    const pkg = manifest() as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: unknown;
    };
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    expect([...importers.keys()].filter((name) => !declared.has(name))).toEqual([]);
    // Comments included: a dependency checker that scans dist/ as text must not find an undeclared
    // package in a TSDoc example or in prose that reads like an import (`from "a bad token"`).
    const inText = listFiles(join(installed(), 'dist'))
      .filter((name) => /\.(js|d\.ts)$/.test(name))
      .flatMap((file) =>
        specifiersOf(read(`dist/${file}`).replace(/\/\*|\*\/|^\s*\/\//gm, ''))
          .map(packageOf)
          .filter((name) => name !== undefined && name !== 'nestjs-warden' && !declared.has(name))
          .map((name) => `${file}: ${name}`),
      );
    expect(inText).toEqual([]);
    expect(Object.keys(pkg.dependencies).filter((name) => !importers.has(name))).toEqual([]);
    expect(pkg.peerDependenciesMeta).toMatchObject({ ioredis: { optional: true }, pg: { optional: true } });
    expect(importers.get('ioredis')?.every((file) => file.startsWith('cjs/redis/'))).toBe(true);
    expect(importers.get('pg')?.every((file) => file.startsWith('cjs/postgres/'))).toBe(true);
    expect(pkg.peerDependenciesMeta).toMatchObject({ '@opentelemetry/api': { optional: true } });
    expect(importers.get('@opentelemetry/api')?.every((file) => file.startsWith('cjs/otel/'))).toBe(true);
    // Only where a WebSocket refusal is sent, and only lazily: an app with gateways has the package.
    expect(pkg.peerDependenciesMeta).toMatchObject({ '@nestjs/websockets': { optional: true } });
    expect(importers.get('@nestjs/websockets')).toEqual(['cjs/contexts/ws-refusal.js']);
    expect(read('dist/cjs/contexts/ws-refusal.js')).toMatch(
      /Promise\.resolve\(\)\.then\(\(\) => __importStar\(require\('@nestjs\/websockets'\)\)\)/,
    );
  });

  it('loads no optional peer from the main entry (every module reachable from dist/esm/index.js)', () => {
    const { modules, packages } = reachableFrom(join(installed(), 'dist/esm/index.js'));
    expect(modules).toBeGreaterThan(20);
    // @nestjs/websockets is imported lazily, inside the function that refuses a WebSocket message (see above).
    expect([...packages].sort()).toEqual(['@nestjs/common', '@nestjs/core', '@nestjs/websockets', 'cookie', 'rxjs']);
  });
});

const CELLS = ([12, 11] as const).flatMap((major) =>
  (['esm', 'cjs'] as const).flatMap((kind) =>
    (['express', 'fastify'] as const).map((adapter) => ({ major, kind, adapter, withRedis: false })),
  ),
);
const REDIS_CELLS = [
  { major: 12 as const, kind: 'esm' as const, adapter: 'fastify' as const, withRedis: true },
  { major: 12 as const, kind: 'cjs' as const, adapter: 'express' as const, withRedis: true },
];

describe('consumer apps boot and answer', () => {
  const named = [...CELLS, ...REDIS_CELLS].map(
    (cell) =>
      [
        `NestJS ${cell.major}, ${cell.kind} app on ${cell.adapter}${cell.withRedis ? ', with nestjs-warden/redis on a real Redis' : ''}`,
        cell,
      ] as const,
  );
  it.each(named)('%s', async (_name, cell) => {
    expect(installedVersion(apps[cell.major], '@nestjs/core')).toMatch(new RegExp(`^${cell.major}\\.`));
    const args = [cell.kind === 'esm' ? 'app.mjs' : 'app.cjs', cell.adapter, ...(cell.withRedis ? ['redis'] : [])];
    const label = `${cell.kind} ${cell.adapter}${cell.withRedis ? ' + redis' : ''}`;
    const result = consumerResult(await node(cell.major, label, args, cell.withRedis ? { REDIS_URL: redis!.url } : {}), args.join(' '));
    const { answers } = result;
    expect(result).toMatchObject({ moduleKind: cell.kind, adapter: cell.adapter, sameTokenService: true, warnings: [] });
    if (cell.kind === 'esm') expect(result.sameNestInstance).toBe(true);
    expect(answers.publicRoute).toMatchObject({ status: 200, body: { open: true } });
    expect(answers.noToken).toMatchObject({ status: 401, code: 'credentials_missing', wwwAuthenticate: 'Bearer realm="api"' });
    expect(answers.handMadeToken).toMatchObject({ status: 200, body: { userId: '42', backend: 'jwt' } });
    expect(answers.tokenServiceToken).toMatchObject({ status: 200, body: { userId: '7', backend: 'jwt' } });
    expect(answers.forgedToken).toMatchObject({ status: 401, code: 'token_invalid' });
    expect(answers.forgedToken!.wwwAuthenticate).toContain('error="invalid_token"');
    if (cell.withRedis) {
      expect(answers.revokedToken).toMatchObject({ status: 401, code: 'token_revoked' });
      expect(result.redisKeys).toBeGreaterThan(0);
    }
  });
});

describe('no dual-package hazard: require() and import give the same classes', () => {
  it.each([12, 11] as const)(
    'NestJS %s: every export is identical, DI tokens resolve across module systems, instanceof holds',
    async (major) => {
      const result = await node(major, 'mixed esm/cjs app', ['mixed.mjs', ...(major === 12 ? ['redis'] : [])]);
      expect(result.code, explain('mixed.mjs', result)).toBe(0);
      expect(result.stderr).toBe('');
      const mixed = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
      expect(mixed.exportNames).toEqual(
        expect.arrayContaining(['AuthModule', 'AuthError', 'RevocationStore', 'TokenService', 'AuthContextService', 'WardenGuard']),
      );
      expect(mixed).toMatchObject({
        differentFromRequire: [],
        missingFromImport: [],
        importTokenGetsRequiredProvider: true,
        importTokensGetRequiredAuthModule: true,
        requireTokensGetImportedAuthModule: true,
        refusal: { code: 'token_malformed', instanceofImportedAuthError: true, instanceofRequiredAuthError: true },
      });
      if (major === 12) expect(mixed).toMatchObject({ redisExportNames: ['RedisRevocation'], redisDifferentFromRequire: [] });
    },
  );
});

describe('nestjs-warden/redis without ioredis installed (NestJS 11 app)', () => {
  const message = "nestjs-warden/redis needs the optional peer dependency 'ioredis', which is not installed: npm i ioredis";

  it('require(): the main entry loads; the subpath throws an error that says what to install', async () => {
    expect(existsSync(join(apps[11], 'node_modules/ioredis'))).toBe(false);
    const result = await node(11, 'require without ioredis', ['missing-peer.cjs']);
    expect(result.code, explain('missing-peer.cjs', result)).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ main: true, redis: message });
  });

  it('import: the main entry loads; the subpath fails the app with that error', async () => {
    const main = await node(11, 'import main without ioredis', [
      '--input-type=module',
      '-e',
      "import * as w from 'nestjs-warden'; console.log(typeof w.AuthModule)",
    ]);
    expect(main.code, explain('import nestjs-warden', main)).toBe(0);
    expect(main.stdout.trim()).toBe('function');
    expect(main.stderr).toBe('');
    const subpath = await node(11, 'import redis without ioredis', ['--input-type=module', '-e', "import 'nestjs-warden/redis'"]);
    expect(subpath.code).toBe(1);
    expect(subpath.stderr).toContain(`Error: ${message}`);
  });
});

describe('TypeScript consumers', () => {
  it('NestJS 11 e2e suite under Jest + ts-jest, as `nest new` sets it up (CommonJS), on Express and Fastify', async () => {
    const result = await node(11, 'jest e2e (ts-jest)', ['node_modules/jest/bin/jest.js', '--config', './test/jest-e2e.json'], {
      CI: 'true',
    });
    expect(result.code, explain('jest --config ./test/jest-e2e.json', result)).toBe(0);
    expect(result.stderr).toMatch(/Tests:\s+14 passed, 14 total/);
  }, 180_000);

  it.each(['tsconfig.json', 'tsconfig.nest10.json'])(
    'NestJS 11: tsc -p %s type-checks the app (require condition; node10 via typesVersions)',
    async (config) => {
      const result = await node(11, `tsc -p ${config}`, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', config]);
      expect(result.code, explain(`tsc -p ${config}`, result)).toBe(0);
    },
    120_000,
  );

  it('NestJS 12: an .mts (import condition) and a .cts (require condition) consumer type-check under nodenext', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await node(12, 'tsc nodenext .mts/.cts', [tsc, '-p', 'tsconfig.json']);
    expect(result.code, explain('tsc -p tsconfig.json', result)).toBe(0);
  }, 120_000);
});

describe('nestjs-warden/postgres', () => {
  let postgres: { url: string; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    postgres = await usePostgres();
  }, 60_000);
  afterAll(async () => {
    await postgres?.close();
  });

  it('NestJS 12 with pg: import and require() give the same PostgresRevocation, the migration file ships, a store works on a real PostgreSQL', async () => {
    const result = await node(12, 'postgres subpath', ['postgres.mjs'], { DATABASE_URL: postgres!.url });
    expect(result.code, explain('postgres.mjs', result)).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({
      exportNames: ['PostgresRevocation', 'postgresRevocationSql'],
      differentFromRequire: [],
      isRevocationStore: true,
      migration: expect.stringMatching(/^-- nestjs-warden PostgresRevocation tables/),
      revoked: true,
      notRevoked: false,
    });
  });

  it('NestJS 11 without pg: the main entry loads; require() and import of the subpath name the package to install', async () => {
    const message = "nestjs-warden/postgres needs the optional peer dependency 'pg', which is not installed: npm i pg";
    expect(existsSync(join(apps[11], 'node_modules/pg'))).toBe(false);
    const required = await node(11, 'require without pg', ['missing-pg.cjs']);
    expect(required.code, explain('missing-pg.cjs', required)).toBe(0);
    expect(JSON.parse(required.stdout.trim())).toEqual({ main: true, postgres: message });
    const imported = await node(11, 'import postgres without pg', ['--input-type=module', '-e', "import 'nestjs-warden/postgres'"]);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain(`Error: ${message}`);
  });
});

describe('nestjs-warden/otel', () => {
  it('NestJS 12 with @opentelemetry/api: import and require() give the same functions; an app is instrumented and answers', async () => {
    const result = await node(12, 'otel subpath', ['otel.mjs']);
    expect(result.code, explain('otel.mjs', result)).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({
      exportNames: ['WARDEN_METRICS', 'WardenTelemetry', 'instrumentAuth'],
      differentFromRequire: [],
      listening: true,
      status: 401,
      stopped: true,
    });
  });

  it('NestJS 11 without @opentelemetry/api: the main entry loads; require() and import of the subpath name the package to install', async () => {
    const message =
      "nestjs-warden/otel needs the optional peer dependency '@opentelemetry/api', which is not installed: npm i @opentelemetry/api";
    expect(existsSync(join(apps[11], 'node_modules/@opentelemetry/api'))).toBe(false);
    const required = await node(11, 'require without @opentelemetry/api', ['missing-otel.cjs']);
    expect(required.code, explain('missing-otel.cjs', required)).toBe(0);
    expect(JSON.parse(required.stdout.trim())).toEqual({ main: true, otel: message });
    const imported = await node(11, 'import otel without @opentelemetry/api', ['--input-type=module', '-e', "import 'nestjs-warden/otel'"]);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain(`Error: ${message}`);
  });
});

describe('nestjs-warden/testing', () => {
  it.each([12, 11] as const)(
    'NestJS %s: import and require() give the same helpers; tokens they mint are accepted, their roles enforced; the main entry loads none of it',
    async (major) => {
      const result = await node(major, 'testing subpath', ['testing.mjs']);
      expect(result.code, explain('testing.mjs', result)).toBe(0);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout.trim())).toEqual({
        exportNames: [
          'TEST_USER_HEADER',
          'TestIssuer',
          'TestWardenGuard',
          'authAs',
          'encodeTestUser',
          'mintToken',
          'mintTokenPair',
          'overrideAuthentication',
          'startTestIssuer',
        ],
        differentFromRequire: [],
        minted: { status: 200, body: { userId: '11', roles: ['admin'] } },
        authAs: { status: 200, body: { userId: '12', roles: ['viewer'] } },
        refused: { status: 403, body: expect.objectContaining({ code: 'permission_denied' }) },
        issuerJwks: 1,
      });
    },
  );

  it('needs no optional peer (not even @nestjs/testing), and require() of the main entry loads none of its modules', async () => {
    const reached = (entry: string): string[] =>
      [...reachableFrom(join(apps[12], 'node_modules/nestjs-warden/dist/esm', entry)).packages].sort();
    expect(reached('testing.js')).toEqual(reached('index.js'));
    const script =
      "require('reflect-metadata'); require('nestjs-warden'); console.log(Object.keys(require.cache).filter((f) => /dist.cjs.testing/.test(f)).length)";
    const main = await node(11, 'require main, count testing modules', ['-e', script]);
    expect(main.code, explain('node -e', main)).toBe(0);
    expect(main.stdout.trim()).toBe('0');
  });
});
