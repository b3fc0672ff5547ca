import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:faults`: Redis killed/paused/restarted, JWKS down, and the bounded load test. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/faults/**/*.faults.ts', 'test/revocation/**/*.spec.ts', 'test/multi-instance/**/*.spec.ts', 'test/jwks/**/*.spec.ts'],
  },
});
