import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../auth.errors.js';
import { InMemoryRevocation } from '../revocation/in-memory-revocation.store.js';
import { claims, hs, now } from '../../test/utils/tokens.js';
import { JwtAuthentication } from './jwt.backend.js';

const SECRET = 'cache-test-secret-of-at-least-32-bytes!';
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AuthError).code;
  }
};

describe('JwtAuthentication verified-token cache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never serves a cached token past its exp', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });
    const token = hs(claims({ exp: now() + 5 }), SECRET);
    expect(backend.verify(token).sub).toBe('42');
    expect(backend.cachedTokens).toBe(1);
    vi.setSystemTime(Date.now() + 5_000);
    expect(codeOf(() => backend.verify(token))).toBe('token_expired');
    expect(backend.cachedTokens).toBe(0);
  });

  it('checks revocation after the cache on every request', async () => {
    const revocation = new InMemoryRevocation();
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], revocation });
    const token = hs(claims({ jti: 'j1' }), SECRET);
    const request = {
      headers: { authorization: `Bearer ${token}` },
      rawHeaders: ['Authorization', `Bearer ${token}`],
      method: 'GET',
      url: '/',
    };
    expect(await backend.authenticate(request)).toMatchObject({ userId: '42' });
    await revocation.revoke('j1', now() + 600);
    await expect(Promise.resolve().then(() => backend.authenticate(request))).rejects.toMatchObject({ code: 'token_revoked' });
    revocation.onModuleDestroy();
  });

  it('stays bounded, evicting the oldest', () => {
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cacheSize: 50 });
    for (let i = 0; i < 150; i++) backend.verify(hs(claims({ sub: String(i) }), SECRET));
    expect(backend.cachedTokens).toBe(50);
  });

  it('does not serve a token that differs by one byte from a cached one, and caches no failure', () => {
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });
    const token = hs(claims(), SECRET);
    backend.verify(token);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const forged = `${token.slice(0, -2)}${last}${token.slice(-1)}`;
    expect(codeOf(() => backend.verify(forged))).toBe('token_invalid');
    expect(backend.cachedTokens).toBe(1);
  });

  it('can be disabled', () => {
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cacheSize: 0 });
    backend.verify(hs(claims(), SECRET));
    expect(backend.cachedTokens).toBe(0);
    expect(() => new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cacheSize: -1 })).toThrow(/cacheSize/);
  });
});
