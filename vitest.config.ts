import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The sample imports the package by name, as a user would; tests run it against the sources.
  resolve: { alias: { 'nestjs-warden': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/utils/summary-reporter.ts'],
  },
});
