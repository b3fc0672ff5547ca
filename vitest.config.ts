import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The sample imports the package by name, as a user would; tests run it against the sources.
  // Anchored patterns: a bare 'nestjs-warden' key would also rewrite 'nestjs-warden/redis' to
  // 'src/index.ts/redis'.
  resolve: {
    alias: [
      { find: /^nestjs-warden$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^nestjs-warden\/redis$/, replacement: fileURLToPath(new URL('./src/redis/index.ts', import.meta.url)) },
    ],
  },
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/utils/summary-reporter.ts'],
  },
});
