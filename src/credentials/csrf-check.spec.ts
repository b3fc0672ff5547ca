import { describe, expect, it } from 'vitest';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { checkCsrf, csrfTokenDeriver, randomCsrfToken } from './csrf-check.js';

const SECRET = 'csrf-check-secret-of-at-least-32-bytes!!';
const tokenFor = csrfTokenDeriver({ secret: SECRET })!;
const MINE = tokenFor('family-1');
const OTHER = tokenFor('family-2');

function outcome(method: string, header: string | string[] | undefined, expected: string | null): string {
  const request: AuthRequest = { method, url: '/', headers: header === undefined ? {} : { 'x-csrf-token': header as string } };
  try {
    checkCsrf(request, expected, 'x-csrf-token');
    return 'pass';
  } catch (error) {
    return `${(error as AuthError).getStatus()} ${(error as AuthError).code}`;
  }
}

describe('checkCsrf', () => {
  it.each([
    ['GET', undefined, MINE, 'pass'],
    ['HEAD', undefined, MINE, 'pass'],
    ['OPTIONS', undefined, MINE, 'pass'],
    ['TRACE', undefined, MINE, 'pass'],
    ['get', undefined, MINE, 'pass'],
    ['GET', undefined, null, 'pass'],
    ['POST', MINE, MINE, 'pass'],
    ['PUT', MINE, MINE, 'pass'],
    ['PATCH', MINE, MINE, 'pass'],
    ['DELETE', MINE, MINE, 'pass'],
    ['post', MINE, MINE, 'pass'],
    ['POST', undefined, MINE, '403 csrf_failed'],
    ['POST', '', MINE, '403 csrf_failed'],
    ['POST', OTHER, MINE, '403 csrf_failed'],
    ['POST', `${MINE.slice(0, -1)}${MINE.endsWith('A') ? 'B' : 'A'}`, MINE, '403 csrf_failed'],
    ['POST', MINE.slice(0, -1), MINE, '403 csrf_failed'],
    ['POST', `${MINE} `, MINE, '403 csrf_failed'],
    ['POST', [MINE, MINE], MINE, '403 csrf_failed'],
    ['DELETE', undefined, MINE, '403 csrf_failed'],
    ['POST', 'null', null, '403 csrf_failed'],
    ['POST', '', null, '403 csrf_failed'],
    ['POST', '', '', '403 csrf_failed'],
    ['PROPFIND', MINE, MINE, 'pass'],
    ['PROPFIND', undefined, MINE, '403 csrf_failed'],
  ] as const)('%s with header %j, expecting %j → %s', (method, header, expected, result) => {
    expect(outcome(method, header as string | string[] | undefined, expected)).toBe(result);
  });
});

describe('csrfTokenDeriver', () => {
  it('is bound to the login family and to the signing key', () => {
    expect(tokenFor('family-1')).toBe(MINE);
    expect(MINE).not.toBe(OTHER);
    expect(csrfTokenDeriver({ secret: `${SECRET}x` })!('family-1')).not.toBe(MINE);
    expect(MINE).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is undefined without tokens (no key to derive from)', () => {
    expect(csrfTokenDeriver(undefined)).toBeUndefined();
  });
});

describe('randomCsrfToken', () => {
  it('is 256 random bits, base64url, never repeated', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomCsrfToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
