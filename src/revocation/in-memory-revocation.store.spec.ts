import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryRevocation } from './in-memory-revocation.store.js';

describe('InMemoryRevocation', () => {
  const stores: InMemoryRevocation[] = [];
  const make = (options?: ConstructorParameters<typeof InMemoryRevocation>[0]): InMemoryRevocation => {
    const store = new InMemoryRevocation(options);
    stores.push(store);
    return store;
  };
  afterEach(() => stores.splice(0).forEach((store) => store.onModuleDestroy()));

  it('answers jti, family and per-user cut-offs, and forgets entries once their token has expired', async () => {
    const store = make();
    const now = Date.now() / 1000;
    await store.revoke('j1', now + 60);
    await store.revokeFamily('f1', now + 60);
    await store.revokeAllForUser('u1', Math.floor(now), now + 60);
    expect(store.isRevoked({ jti: 'j1' })).toBe(true);
    expect(store.isRevoked({ jti: 'j2', family: 'f1' })).toBe(true);
    expect(store.isRevoked({ sub: 'u1', iat: Math.floor(now) })).toBe(true);
    expect(store.isRevoked({ sub: 'u1', iat: Math.floor(now) + 1 })).toBe(false);
    expect(await store.rotate('f2', 'r1', 'r2', now + 60)).toBe(true);
    expect(await store.rotate('f2', 'r1', 'r3', now + 60)).toBe(false);
    expect(await store.rotate('f2', 'r2', 'r3', now + 60)).toBe(true);
    store.sweep(now + 61);
    expect(store.size).toBe(0);
    expect(store.isRevoked({ jti: 'j1' })).toBe(false);
  });

  it('one record per login: 100,000 refreshes in a loop keep one entry, and the previous token is refused', async () => {
    const store = make({ maxEntries: 10 });
    const exp = Date.now() / 1000 + 60;
    let current = 'r0';
    for (let i = 1; i <= 100_000; i++) {
      expect(await store.rotate('family', current, `r${i}`, exp)).toBe(true);
      current = `r${i}`;
    }
    expect(store.size).toBe(1);
    expect(await store.rotate('family', 'r99999', 'replay', exp)).toBe(false);
    expect(await store.rotate('family', 'r100000', 'next', exp)).toBe(true);
  });

  it('when full: a new login cannot refresh (503) but logged-in users still rotate and raise cut-offs; an expired record frees its place', async () => {
    const store = make({ maxEntries: 3 });
    const now = Date.now() / 1000;
    expect(await store.rotate('a', 'a0', 'a1', now + 60)).toBe(true);
    await store.revokeAllForUser('u', 100, now + 60);
    expect(await store.rotate('short', 's0', 's1', now + 0.5)).toBe(true);
    await expect(store.rotate('b', 'b0', 'b1', now + 60)).rejects.toMatchObject({ code: 'auth_unavailable' });
    await expect(store.revoke('j', now + 60)).rejects.toMatchObject({ code: 'auth_unavailable' });
    expect(await store.rotate('a', 'a1', 'a2', now + 60)).toBe(true);
    await store.revokeAllForUser('u', 200, now + 60);
    expect(store.isRevoked({ sub: 'u', iat: 150 })).toBe(true);
    store.sweep(now + 1);
    expect(await store.rotate('b', 'b0', 'b1', now + 60)).toBe(true);
  });
});
