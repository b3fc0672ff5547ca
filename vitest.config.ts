import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * `npm run test:faults` (vitest.faults.config.ts): Redis killed/paused/restarted, JWKS down, the
 * bounded load test. Kept out of `npm test`; CI runs them once, through their own script.
 */
export const FAULT_SUITES = [
  'test/faults/**/*.faults.ts',
  'test/revocation/**/*.spec.ts',
  'test/multi-instance/**/*.spec.ts',
  'test/jwks/**/*.spec.ts',
  'test/postgres/**/*.spec.ts',
];

/**
 * `npm run test:heavy` (vitest.heavy.config.ts): tests that take long or allocate a lot, one file
 * at a time: `*.heavy.ts` files under test/, and the packed-tarball consumer matrix (npm pack and fresh
 * installs from the registry). Kept out of `npm test`; CI runs them. Not in src/: the build
 * compiles every src/ file but `*.spec.ts`.
 */
export const HEAVY_SUITES = ['test/**/*.heavy.ts', 'test/packaging/**/*.spec.ts'];

export default defineConfig({
  // The sample imports the package by name, as a user would; tests run it against the sources.
  // Anchored patterns: a bare 'nestjs-warden' key would also rewrite 'nestjs-warden/redis' to
  // 'src/index.ts/redis'.
  resolve: {
    alias: [
      { find: /^nestjs-warden$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^nestjs-warden\/redis$/, replacement: fileURLToPath(new URL('./src/redis/index.ts', import.meta.url)) },
      { find: /^nestjs-warden\/postgres$/, replacement: fileURLToPath(new URL('./src/postgres/index.ts', import.meta.url)) },
      { find: /^nestjs-warden\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
    ],
  },
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: [...configDefaults.exclude, ...FAULT_SUITES, ...HEAVY_SUITES],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/utils/summary-reporter.ts'],
  },
});
