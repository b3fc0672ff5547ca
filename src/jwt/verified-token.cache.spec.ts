import { describe, expect, it } from 'vitest';
import type { AuthError } from '../auth.errors.js';
import type { ClaimRules } from './jwt-verifier.js';
import { VerifiedTokenCache, verifiedToken } from './verified-token.cache.js';

const RULES: ClaimRules = { leeway: 0, requiredClaims: ['exp'] };
const NOW = 1_700_000_000;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AuthError).code;
  }
}

describe('verifiedToken', () => {
  it('maps once and freezes everything a request is handed', () => {
    const entry = verifiedToken(
      { sub: 42, permissions: ['r', 3], fam: 'f', jti: 'j', iat: NOW, exp: NOW + 60, nested: { list: [1] } },
      true,
    );
    expect(entry.result).toMatchObject({ userId: '42', permissions: ['r'] });
    expect(entry.revocation).toEqual({ jti: 'j', family: 'f', sub: '42', iat: NOW });
    expect(entry.result.claims).toBe(entry.payload);
    const frozen = [
      entry.payload,
      entry.payload.permissions,
      entry.payload.nested,
      entry.result,
      entry.result.permissions,
      entry.revocation,
    ];
    for (const value of frozen) expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen((entry.payload.nested as { list: unknown[] }).list)).toBe(true);
    expect(() => (entry.result.permissions as string[]).push('w')).toThrow(TypeError);
    expect(() => (entry.payload.permissions as unknown[]).push('w')).toThrow(TypeError);
  });
});

describe('verifiedToken, not for the cache', () => {
  it('maps the same, and freezes nothing (nothing is shared)', () => {
    const entry = verifiedToken({ sub: 42, permissions: ['r'], exp: NOW + 60 }, false);
    expect(entry.result).toMatchObject({ userId: '42', permissions: ['r'] });
    for (const value of [entry, entry.payload, entry.payload.permissions, entry.result, entry.result.permissions]) {
      expect(Object.isFrozen(value)).toBe(false);
    }
  });
});

describe('VerifiedTokenCache', () => {
  const entry = (exp = NOW + 60, extra: Record<string, unknown> = {}) => verifiedToken({ sub: 's', exp, ...extra }, true);

  it('answers what it holds, as the same frozen entry', () => {
    const cache = new VerifiedTokenCache(10);
    const stored = entry();
    cache.set('t1', stored);
    expect(cache.get('t1', RULES, NOW)).toBe(stored);
    expect(cache.get('t2', RULES, NOW)).toBeUndefined();
  });

  it('evicts the oldest when full; a hit does not reorder', () => {
    const cache = new VerifiedTokenCache(3);
    for (const token of ['a', 'b', 'c']) cache.set(token, entry());
    cache.get('a', RULES, NOW);
    cache.set('d', entry());
    expect(cache.size).toBe(3);
    expect(cache.get('a', RULES, NOW)).toBeUndefined();
    for (const token of ['b', 'c', 'd']) expect(cache.get(token, RULES, NOW)).toBeDefined();
  });

  it('stays bounded under many tokens', () => {
    const cache = new VerifiedTokenCache(50);
    for (let i = 0; i < 500; i++) cache.set(`t${i}`, entry());
    expect(cache.size).toBe(50);
  });

  it.each([
    ['one second before exp', NOW + 59, 0, undefined, true],
    ['at exp (RFC 7519: not on or after)', NOW + 60, 0, 'token_expired', false],
    ['after exp', NOW + 600, 0, 'token_expired', false],
    ['after exp, within leeway', NOW + 65, 10, undefined, true],
  ])('re-checks exp on every hit: %s', (_name, now, leeway, code, kept) => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', entry());
    expect(codeOf(() => cache.get('t', { ...RULES, leeway }, now))).toBe(code);
    expect(cache.size).toBe(kept ? 1 : 0);
  });

  it('re-checks nbf too', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', entry(NOW + 60, { nbf: NOW + 30 }));
    expect(codeOf(() => cache.get('t', RULES, NOW))).toBe('token_not_yet_valid');
  });

  it('size 0 remembers nothing', () => {
    const cache = new VerifiedTokenCache(0);
    expect(cache.enabled).toBe(false);
    expect(new VerifiedTokenCache(1).enabled).toBe(true);
    cache.set('t', entry());
    expect(cache.size).toBe(0);
    expect(cache.get('t', RULES, NOW)).toBeUndefined();
  });
});

describe('VerifiedTokenCache admission and bytes (issue 20)', () => {
  const entry = () => verifiedToken({ sub: 's', exp: NOW + 60 }, true);
  const remember = (cache: VerifiedTokenCache, token: string): boolean => {
    if (!cache.admits(token)) return false;
    cache.set(token, entry());
    return true;
  };

  it('admits every token while there is room', () => {
    const cache = new VerifiedTokenCache(3);
    expect(['a1', 'b2', 'c3'].map((token) => remember(cache, token))).toEqual([true, true, true]);
    expect(cache.size).toBe(3);
  });

  it('once full, a token seen once is not remembered and evicts nothing; seen again, it is (the oldest goes)', () => {
    const cache = new VerifiedTokenCache(3);
    for (const token of ['a1', 'b2', 'c3']) remember(cache, token);
    for (let i = 0; i < 200; i++) expect(remember(cache, `once-${i}`)).toBe(false);
    expect(cache.size).toBe(3);
    for (const token of ['a1', 'b2', 'c3']) expect(cache.get(token, RULES, NOW)).toBeDefined();
    expect(remember(cache, 'again')).toBe(false);
    expect(remember(cache, 'again')).toBe(true);
    expect(cache.get('again', RULES, NOW)).toBeDefined();
    expect(cache.get('a1', RULES, NOW)).toBeUndefined();
    expect(cache.size).toBe(3);
  });

  it('a fingerprint never answers for another token: entries are found by the whole token', () => {
    const cache = new VerifiedTokenCache(1);
    remember(cache, 'header.payload-1.same-signature-tail');
    expect(cache.get('header.payload-2.same-signature-tail', RULES, NOW)).toBeUndefined();
  });

  it('is bounded by bytes as well as by count: long tokens evict the oldest before the count is reached', () => {
    // Each 1,000-character token is reckoned 2,640 bytes: 3 fit in 8,000.
    const cache = new VerifiedTokenCache(100, undefined, 8000);
    const long = (i: number): string => `${i}`.padEnd(1000, 'x');
    for (let i = 0; i < 3; i++) expect(remember(cache, long(i))).toBe(true);
    expect(cache.reckonedBytes).toBe(3 * 2640);
    expect(remember(cache, long(3))).toBe(false);
    expect(remember(cache, long(3))).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.get(long(0), RULES, NOW)).toBeUndefined();
    expect(cache.reckonedBytes).toBeLessThanOrEqual(8000);
  });

  it('never remembers a token larger than the whole budget', () => {
    const cache = new VerifiedTokenCache(100, undefined, 1000);
    cache.set('x'.repeat(500), entry());
    expect(cache.size).toBe(0);
    expect(cache.reckonedBytes).toBe(0);
  });

  it('keeps its byte count when entries expire or are set twice', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', verifiedToken({ sub: 's', exp: NOW + 1 }, true));
    cache.set('t', verifiedToken({ sub: 's', exp: NOW + 1 }, true));
    expect(cache.size).toBe(1);
    expect(cache.reckonedBytes).toBe(2 * 1 + 640);
    expect(() => cache.get('t', RULES, NOW + 5)).toThrow();
    expect(cache.reckonedBytes).toBe(0);
  });
});
