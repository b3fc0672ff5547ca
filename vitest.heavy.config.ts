import { configDefaults, defineConfig } from 'vitest/config';
import base, { HEAVY_SUITES } from './vitest.config.js';

/**
 * `npm run test:heavy`: tests that take long or allocate a lot (the million-entry revocation heap,
 * the differential fuzzing, the packed-tarball consumer matrix). One file at a time, so heap and
 * time measurements are not shared with another worker.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: HEAVY_SUITES,
    exclude: configDefaults.exclude,
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
