import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the fixtures each consumer app is made of. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** What a user installs next to the tarball, per NestJS major (both platforms, to run both adapters from one install). */
export const PEERS = {
  // NestJS 12: ES modules only. ioredis for the `nestjs-warden/redis` cells, pg for `nestjs-warden/postgres`.
  12: [
    '@nestjs/common@12',
    '@nestjs/core@12',
    '@nestjs/platform-express@12',
    '@nestjs/platform-fastify@12',
    'reflect-metadata',
    'rxjs',
    'ioredis',
    'pg',
    '@opentelemetry/api@^1.9.0',
  ],
  // NestJS 11 (latest 11.x), CommonJS, with the test toolchain `nest new` sets up (nestjs/typescript-starter's
  // ranges); no ioredis, so this app also shows what a user without it gets from `nestjs-warden/redis`.
  11: [
    '@nestjs/common@11',
    '@nestjs/core@11',
    '@nestjs/platform-express@11',
    '@nestjs/platform-fastify@11',
    'reflect-metadata',
    'rxjs',
    '@nestjs/testing@11',
    'jest@^29.7.0',
    'ts-jest@^29.2.5',
    '@types/jest@^29.5.14',
    'typescript@^5.7.3',
    'supertest@^7.0.0',
    '@types/supertest@^6.0.2',
    '@types/node@^22.10.7',
  ],
} as const;

export type NestMajor = keyof typeof PEERS;

/** A finished child process. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The environment of every child: this process's, without what `npm test` exports about the
 * repository (an npm run from a temporary app must not take the repository for its project).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix$)/i.test(key) || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to its end (asynchronously, so the two installs overlap). */
export function run(
  command: string,
  args: string[],
  cwd: string,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Describes a failed run for an assertion message. */
export function explain(what: string, result: Run): string {
  const tail = (text: string): string => text.trim().split('\n').slice(-25).join('\n');
  return `${what} exited with ${result.code} after ${result.ms} ms\n--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`;
}

/** `npm pack` of the repository (its prepack builds dist/) into `destination`; returns the tarball's path. */
export async function packTarball(destination: string): Promise<{ tarball: string; ms: number }> {
  mkdirSync(destination, { recursive: true });
  const packed = await run('npm', ['pack', '--pack-destination', destination, '--loglevel=error'], ROOT, { timeoutMs: 180_000 });
  if (packed.code !== 0) throw new Error(explain('npm pack', packed));
  const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${destination}`);
  return { tarball: join(destination, tarball), ms: packed.ms };
}

/**
 * A fresh app outside the repository: its fixtures copied in, then `npm i` of the tarball and
 * the peers a user installs. Never skips: if npm cannot install, the test fails and says why.
 */
export async function installApp(directory: string, tarball: string, major: NestMajor, project: 'jest-app' | 'types'): Promise<Run> {
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, 'package.json'),
    `${JSON.stringify({ name: `consumer-nest${major}`, private: true, version: '1.0.0' }, null, 2)}\n`,
  );
  // The JavaScript entries (app.mjs, app.cjs, ...) at the root, with the app's TypeScript project.
  for (const file of readdirSync(FIXTURES)) if (/\.(c|m)js$/.test(file)) cpSync(join(FIXTURES, file), join(directory, file));
  cpSync(join(FIXTURES, project), directory, { recursive: true });
  const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...PEERS[major]];
  const installed = await run('npm', args, directory, { timeoutMs: 480_000 });
  if (installed.code !== 0) {
    throw new Error(
      `${explain(`npm install in ${directory}`, installed)}\n` +
        'The packaging matrix installs the packed tarball and NestJS from the npm registry (or a warm npm cache): ' +
        'make the registry reachable (npm config get registry) and run it again.',
    );
  }
  return installed;
}

/** The version of a package installed in an app. */
export function installedVersion(directory: string, name: string): string {
  return (JSON.parse(readFileSync(join(directory, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Every file under a directory (its own node_modules aside), as paths relative to it. */
export function listFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(sep).includes('node_modules'))
    .sort();
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a relative path or a builtin. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The specifiers a built file imports or requires (JavaScript and declaration files alike), its comments aside (TSDoc examples). */
export function specifiersOf(code: string): string[] {
  const source = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  for (const pattern of [
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
    /\bfrom\s+["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s+["']([^"']+)["']/gm,
  ]) {
    for (const match of source.matchAll(pattern)) found.add(match[1]!);
  }
  return [...found];
}

/** Every string inside a JSON value (the file paths of `main`, `types`, `exports`, `typesVersions`). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

/** The modules a built entry reaches through its relative imports, and the packages they import. */
export function reachableFrom(entry: string): { modules: number; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      const name = packageOf(specifier);
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else if (name !== undefined) packages.add(name);
    }
  };
  visit(entry);
  return { modules: seen.size, packages };
}

/** One request a consumer app made, as it reports it. */
export interface Answer {
  status: number;
  code?: string;
  wwwAuthenticate: string | null;
  body: Record<string, unknown>;
}

/** What a consumer app (fixtures/consumer.cjs) prints. */
export interface ConsumerResult {
  moduleKind: 'esm' | 'cjs';
  adapter: string;
  sameTokenService: boolean;
  sameNestInstance?: boolean;
  answers: Record<string, Answer>;
  warnings: string[];
  redisKeys?: number;
}
