import { describe, expect, it } from 'vitest';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { readScheme, readSingleHeader } from './credential-header.js';

/** A request as Node.js builds it: `headers` (a duplicate kept or joined) and the raw list. */
function request(raw: string[], headers: AuthRequest['headers']): AuthRequest {
  return { headers, rawHeaders: raw, method: 'GET', url: '/' };
}

function outcome(read: () => string | undefined): string | undefined {
  try {
    const value = read();
    return value === undefined ? 'none' : `value:${value}`;
  } catch (error) {
    return `${(error as AuthError).getStatus()} ${(error as AuthError).code}`;
  }
}

describe('readSingleHeader', () => {
  it.each([
    ['absent', [], {}, 'none'],
    ['once', ['Authorization', 'Bearer a'], { authorization: 'Bearer a' }, 'value:Bearer a'],
    ['once, any case in the raw list', ['AUTHORIZATION', 'Bearer a'], { authorization: 'Bearer a' }, 'value:Bearer a'],
    [
      'twice (Node keeps the first)',
      ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
      { authorization: 'Bearer a' },
      '400 invalid_request',
    ],
    [
      'twice, the same value',
      ['Authorization', 'Bearer a', 'Authorization', 'Bearer a'],
      { authorization: 'Bearer a' },
      '400 invalid_request',
    ],
    ['twice as an array (set-cookie style)', [], { authorization: ['a', 'b'] as unknown as string }, '400 invalid_request'],
    ['empty', ['Authorization', ''], { authorization: '' }, 'value:'],
  ] as const)('%s → %s', (_name, raw, headers, expected) => {
    expect(outcome(() => readSingleHeader(request([...raw], headers), 'authorization'))).toBe(expected);
  });

  it('reads Fastify requests through request.raw', () => {
    const raw = { rawHeaders: ['X-Api-Key', 'k1', 'x-api-key', 'k2'] } as AuthRequest['raw'];
    const fastify: AuthRequest = { headers: { 'x-api-key': 'k1' }, method: 'GET', url: '/', raw };
    expect(outcome(() => readSingleHeader(fastify, 'x-api-key'))).toBe('400 invalid_request');
  });
});

describe('readScheme', () => {
  it.each([
    ['Bearer abc', 'value:abc'],
    ['bearer abc', 'value:abc'],
    ['BEARER abc', 'value:abc'],
    ['Basic abc', 'none'],
    ['Bearerabc', '401 token_malformed'],
    ['Bearer', '401 token_malformed'],
    ['Bearer ', '401 token_malformed'],
    ['Bearer  abc', '401 token_malformed'],
    ['Bearer abc def', '401 token_malformed'],
    ['Bearer abc\tdef', '401 token_malformed'],
    ['abc', 'none'],
    ['', 'none'],
  ])('%j → %s', (value, expected) => {
    expect(outcome(() => readScheme(value, 'Bearer'))).toBe(expected);
  });

  it('works for any scheme (an API key behind Authorization)', () => {
    expect(outcome(() => readScheme('Api-Key k-123', 'Api-Key'))).toBe('value:k-123');
    expect(outcome(() => readScheme('Bearer k-123', 'Api-Key'))).toBe('none');
  });
});
