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
    expect(await store.consume('r1', now + 60)).toBe(true);
    expect(await store.consume('r1', now + 60)).toBe(false);
    store.sweep(now + 61);
    expect(store.size).toBe(0);
    expect(store.isRevoked({ jti: 'j1' })).toBe(false);
  });
});
