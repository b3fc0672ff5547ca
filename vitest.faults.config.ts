import { configDefaults, defineConfig } from 'vitest/config';
import base, { FAULT_SUITES } from './vitest.config.js';

/** `npm run test:faults`: Redis killed/paused/restarted, JWKS down, and the bounded load test. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: FAULT_SUITES,
    exclude: configDefaults.exclude,
  },
});
