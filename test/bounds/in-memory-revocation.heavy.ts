import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryRevocation } from '../../src/revocation/in-memory-revocation.store.js';

// `npm run test:heavy`: a million entries take seconds and hundreds of MiB, so this runs in its own
// suite, one file at a time; the fast unit specs stay in src/revocation/in-memory-revocation.store.spec.ts.
describe('InMemoryRevocation at its bound', () => {
  const stores: InMemoryRevocation[] = [];
  afterEach(() => stores.splice(0).forEach((store) => store.onModuleDestroy()));

  it('stays bounded under a flood of 1,000,000 revocations, and frees them when they expire', async () => {
    const store = new InMemoryRevocation();
    stores.push(store);
    const before = process.memoryUsage().heapUsed;
    const exp = Date.now() / 1000 + 30;
    for (let i = 0; i < 1_000_000; i++) await store.revoke(`jti-${i}`, exp);
    const grown = process.memoryUsage().heapUsed - before;
    console.log(`1,000,000 revocations: heap +${Math.round(grown / 1048576)} MiB`);
    expect(store.size).toBe(1_000_000);
    expect(grown).toBeLessThan(400 * 1024 * 1024);
    await expect(store.revoke('one-too-many', exp)).rejects.toMatchObject({ code: 'auth_unavailable' });
    store.sweep(exp + 1);
    expect(store.size).toBe(0);
    await store.revoke('fits-again', exp + 60);
    expect(store.isRevoked({ jti: 'fits-again' })).toBe(true);
  }, 60_000);
});
