import { describe, expect, it } from 'vitest';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { readCookie } from './cookie-reader.js';

function outcome(header: string | undefined, parsed?: Record<string, unknown>): string {
  const request = {
    headers: header === undefined ? {} : { cookie: header },
    method: 'GET',
    url: '/',
    ...(parsed === undefined ? {} : { cookies: parsed }),
  } as AuthRequest;
  try {
    const value = readCookie(request, 'access_token');
    return value === undefined ? 'none' : `value:${value}`;
  } catch (error) {
    return `${(error as AuthError).getStatus()} ${(error as AuthError).code}`;
  }
}

describe('readCookie', () => {
  it.each([
    ['missing header', undefined, 'none'],
    ['empty header', '', 'none'],
    ['only other cookies', 'theme=dark; lang=en', 'none'],
    ['a longer name that starts with it', 'access_token2=x; xaccess_token=y', 'none'],
    ['the cookie', 'access_token=abc.def.ghi', 'value:abc.def.ghi'],
    ['among others', 'theme=dark; access_token=abc; lang=en', 'value:abc'],
    ['spaces around', '  access_token = abc ;theme=dark', 'value:abc'],
    ['empty value', 'access_token=', 'value:'],
    ['quoted', 'access_token="abc"', 'value:abc'],
    ['percent-encoded', 'access_token=a%2Eb', 'value:a.b'],
    ['bad percent-encoding kept as sent', 'access_token=a%E0%A4%A', 'value:a%E0%A4%A'],
    ["cookie-parser's JSON form stays a string", 'access_token=j:{"a":1}', 'value:j:{"a":1}'],
    ['a value with "="', 'access_token=a=b', 'value:a=b'],
    ['no "=" at all', 'access_token', 'none'],
    ['sent twice', 'access_token=a; access_token=b', '400 invalid_request'],
    ['sent twice, same value', 'access_token=a;access_token=a', '400 invalid_request'],
    ['sent twice, once empty', 'access_token=; theme=x; access_token=b', '400 invalid_request'],
  ])('%s → %s', (_name, header, expected) => {
    expect(outcome(header)).toBe(expected);
  });

  it('the header wins over what a parser made of it (a parser keeps only the first, or makes an object)', () => {
    expect(outcome('access_token=a; access_token=b', { access_token: 'a' })).toBe('400 invalid_request');
    expect(outcome('access_token=j:{"a":1}', { access_token: { a: 1 } })).toBe('value:j:{"a":1}');
    expect(outcome('theme=dark', { access_token: 'planted' })).toBe('none');
  });

  it.each([
    ['a string', { access_token: 'abc' }, 'value:abc'],
    ['absent', { theme: 'dark' }, 'none'],
    ['an object (JSON cookie)', { access_token: { a: 1 } }, '401 token_malformed'],
    ['an array', { access_token: ['a', 'b'] }, '401 token_malformed'],
    ['a number', { access_token: 42 }, '401 token_malformed'],
    ['inherited only', Object.create({ access_token: 'proto' }) as Record<string, unknown>, 'none'],
  ])('without a Cookie header, parsed cookies: %s → %s', (_name, parsed, expected) => {
    expect(outcome(undefined, parsed)).toBe(expected);
  });
});
