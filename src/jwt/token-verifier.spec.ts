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

describe('TokenVerifier: tokens seen once do not churn the cache (issue 20)', () => {
  const distinct = (i: number): string => hs(claims({ sub: String(i), permissions: ['r'] }), SECRET);

  it('once full, a token verified once is answered with objects of its own, and the reused ones stay cached', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'], cacheSize: 2 }, 'test');
    const reused = sync(verifier.verify(token));
    sync(verifier.verify(distinct(0)));
    for (let i = 1; i <= 100; i++) {
      const once = sync(verifier.verify(distinct(i)));
      expect(once.result.userId).toBe(String(i));
      // Not shared with any other request, so not frozen: a write stays in this request.
      expect(Object.isFrozen(once.payload)).toBe(false);
    }
    expect(verifier.cachedTokens).toBe(2);
    expect(sync(verifier.verify(token))).toBe(reused);
  });

  it('a token verified twice while the cache is full is remembered (deep-frozen) from then on', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'], cacheSize: 1 }, 'test');
    sync(verifier.verify(token));
    const again = distinct(7);
    expect(Object.isFrozen(sync(verifier.verify(again)).payload)).toBe(false);
    const second = sync(verifier.verify(again));
    expect(Object.isFrozen(second.payload)).toBe(true);
    expect(sync(verifier.verify(again))).toBe(second);
  });

  it('checks each header once per verifier, but never lets a refused header through on a later token', () => {
    const verifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'], cacheSize: 0 }, 'test');
    const refused: [Record<string, unknown>, string][] = [
      [{ alg: 'HS384', typ: 'JWT' }, 'token_invalid'],
      [{ alg: 'HS256', crit: ['b64'], b64: false }, 'token_invalid'],
      [{ alg: 'none' }, 'token_invalid'],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [header, code] of refused) {
        expect(() => verifier.verify(hs(claims(), SECRET, header))).toThrow(expect.objectContaining({ code }));
      }
      // Many distinct valid headers (more than the memo holds), each accepted; the usual one too.
      for (let i = 0; i < 40; i++) expect(sync(verifier.verify(hs(claims(), SECRET, { alg: 'HS256', n: i }))).result.userId).toBe('42');
      expect(sync(verifier.verify(token)).result.userId).toBe('42');
    }
  });

  it('a memoized header is shared frozen, a bad signature under it is still refused', () => {
    const seen: object[] = [];
    const verifier: TokenVerifier = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'], cacheSize: 0 }, 'test', (decoded) => {
      seen.push(decoded.header);
      return verifier.localKey(decoded);
    });
    sync(verifier.verify(token));
    sync(verifier.verify(token));
    expect(seen[1]).toBe(seen[0]);
    expect(Object.isFrozen(seen[0])).toBe(true);
    const forged = hs(claims({ sub: 'admin' }), 'another-secret-of-at-least-32-bytes-long');
    expect(() => verifier.verify(forged)).toThrow(expect.objectContaining({ code: 'token_invalid' }));
    expect(() => verifier.verify(`${token.slice(0, token.lastIndexOf('.'))}.`)).toThrow(expect.objectContaining({ code: 'token_invalid' }));
  });
});
