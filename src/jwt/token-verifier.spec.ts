import { describe, expect, it } from 'vitest';
import { claims, hs } from '../../test/utils/tokens.js';
import type { VerifiedToken } from './verified-token.cache.js';
import { TokenVerifier } from './token-verifier.js';

const SECRET = 'token-verifier-secret-of-at-least-32-bytes';
const token = hs(claims({ permissions: ['r'], profile: { roles: ['x'] } }), SECRET);
const sync = (value: VerifiedToken | Promise<VerifiedToken>): VerifiedToken => {
  if (value instanceof Promise) throw new Error('expected a synchronous answer');
  return value;
};

describe('TokenVerifier: what a request is handed', () => {
  it('with the cache: the same deep-frozen entry for every request presenting the token', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'] }, 'test');
    const first = sync(verifier.verify(token));
    const second = sync(verifier.verify(token));
    expect(second).toBe(first);
    expect(verifier.verifyClaims(token)).toBe(first.payload);
    expect(Object.isFrozen((first.payload.profile as { roles: string[] }).roles)).toBe(true);
    expect(() => (first.result.permissions as string[]).push('w')).toThrow(TypeError);
  });

  it('without the cache (cacheSize 0): each request gets its own objects, so a write reaches no other', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'], cacheSize: 0 }, 'test');
    const first = sync(verifier.verify(token));
    (first.result.permissions as string[]).push('w');
    (first.payload.permissions as string[]).push('w');
    const second = sync(verifier.verify(token));
    expect(second.result.permissions).toEqual(['r']);
    expect(second.payload.permissions).toEqual(['r']);
    expect(verifier.cachedTokens).toBe(0);
  });

  it('refuses a refresh token, and caches no failure', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'] }, 'test');
    expect(() => verifier.verify(hs(claims({ type: 'refresh' }), SECRET))).toThrow(
      expect.objectContaining({ code: 'token_claims_invalid' }),
    );
    expect(verifier.cachedTokens).toBe(0);
  });

  it.each([
    [{ algorithms: [] }, /`algorithms` is required/],
    [{ algorithms: ['none'] }, /unsigned tokens are never accepted/],
    [{ algorithms: ['HS256'] }, /HS256 has no key: give `secret`/],
    [{ algorithms: ['HS256'], secret: SECRET, leeway: -1 }, /`leeway`/],
    [{ algorithms: ['HS256'], secret: SECRET, cacheSize: 1.5 }, /`cacheSize`/],
    [{ algorithms: ['HS256'], jwksUri: 'https://idp.example/jwks' }, /HS256 cannot be verified with a JWKS/],
  ])('refuses %j at construction', (options, message) => {
    expect(() => new TokenVerifier(options as never, 'JwtAuthentication')).toThrow(message);
  });
});
