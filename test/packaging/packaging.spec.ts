import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('the built package loads as users load it', () => {
  beforeAll(() => {
    // The apps import `nestjs-warden` by name (package self-reference), i.e. dist/ as published.
    execFileSync(
      process.execPath,
      [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  }, 120_000);

  it.each([
    ['CommonJS', 'app.cjs'],
    ['ES module', 'app.mjs'],
  ])('from a %s application', (_kind, file) => {
    const run = spawnSync(process.execPath, ['--no-warnings', fixture(file)], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({ open: 200, closed: 401, code: 'credentials_missing' });
  });
});
