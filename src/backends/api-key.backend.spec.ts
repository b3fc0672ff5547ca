import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult } from '../context/request-context.interface.js';
import { ApiKeyAuthentication, type ApiKeyAuthenticationOptions } from './api-key.backend.js';

const KEY = 'wk_live_4f1c2b9e8d7a6f5e4d3c';
const OTHER = 'wk_live_0a9b8c7d6e5f4a3b2c1d';
const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** A request as either adapter gives it: parsed headers plus the raw list (duplicates are checked there). */
function request(headers: Array<[string, string]>): AuthRequest {
  const parsed: Record<string, string> = {};
  for (const [name, value] of headers) parsed[name.toLowerCase()] = value;
  return { headers: parsed, rawHeaders: headers.flat(), method: 'GET', url: '/' };
}

/** The result, `null`, or the AuthError code (anything else escapes: a would-be 500). */
async function decide(backend: ApiKeyAuthentication, headers: Array<[string, string]>): Promise<AuthResult | null | string> {
  try {
    return await backend.authenticate(request(headers));
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
}

describe('ApiKeyAuthentication: configuration is checked at construction', () => {
  it.each<[string, ApiKeyAuthenticationOptions, RegExp]>([
    ['no key source', {}, /give `keys`, `hashedKeys` or `validate`/],
    ['a key under 16 characters', { keys: ['short-key-123'] }, /at least 16 characters/],
    ['a non-string key', { keys: [1234567890123456 as never] }, /at least 16 characters/],
    ['a hashedKeys entry that is not hex', { hashedKeys: { ['z'.repeat(64)]: {} } }, /hex SHA-256 digest/],
    ['a hashedKeys entry of the wrong length', { hashedKeys: { [sha256(KEY).slice(0, 63)]: {} } }, /hex SHA-256 digest/],
    ['a plaintext key given as hashedKeys', { hashedKeys: { [KEY]: {} } }, /hex SHA-256 digest/],
  ])('refuses %s with a TypeError', (_, options, message) => {
    expect(() => new ApiKeyAuthentication(options)).toThrow(TypeError);
    expect(() => new ApiKeyAuthentication(options)).toThrow(message);
  });
});

describe('ApiKeyAuthentication: which keys are accepted', () => {
  const grant = { name: 'billing', permissions: ['invoices:read'] };
  const billing = { userId: 'billing', permissions: ['invoices:read'], claims: { name: 'billing' } };
  const anonymousKey = { userId: null, permissions: [], claims: {} };
  const backends: Record<string, ApiKeyAuthentication> = {
    'keys as a list': new ApiKeyAuthentication({ keys: [KEY, OTHER] }),
    'keys as a record': new ApiKeyAuthentication({ keys: { [KEY]: grant, [OTHER]: {} } }),
    hashedKeys: new ApiKeyAuthentication({ hashedKeys: { [sha256(KEY)]: grant, [sha256(OTHER)]: {} } }),
    'hashedKeys in upper-case hex': new ApiKeyAuthentication({ hashedKeys: { [sha256(KEY).toUpperCase()]: grant, [sha256(OTHER)]: {} } }),
  };
  const expectedFor = (name: string): AuthResult => (name === 'keys as a list' ? anonymousKey : billing);

  it.each(Object.keys(backends))('%s: the key itself → its grant; another configured key → its own', async (name) => {
    expect(await decide(backends[name]!, [['X-API-Key', KEY]])).toEqual(expectedFor(name));
    expect(await decide(backends[name]!, [['X-API-Key', OTHER]])).toEqual(anonymousKey);
  });

  const near: Array<[string, string]> = [
    ['the SHA-256 hex of the key (what hashedKeys stores)', sha256(KEY)],
    ['the key in upper case', KEY.toUpperCase()],
    ['all but the last character', KEY.slice(0, -1)],
    ['the key and one more character', `${KEY}0`],
    ['the key twice', KEY + KEY],
    ['the key with a trailing tab', `${KEY}\t`],
    ["the grant's name", 'billing'],
    ['a one-character key', 'x'],
  ];
  it.each(Object.keys(backends).flatMap((name) => near.map(([what, key]) => [name, what, key] as const)))(
    '%s: %s → 401 api_key_invalid',
    async (name, _what, key) => {
      expect(await decide(backends[name]!, [['X-API-Key', key]])).toBe('api_key_invalid');
    },
  );

  it('the first matching entry wins when a key is configured twice', async () => {
    const backend = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'plain' } }, hashedKeys: { [sha256(KEY)]: { name: 'hashed' } } });
    expect(await decide(backend, [['X-API-Key', KEY]])).toMatchObject({ userId: 'plain' });
  });

  it('compares UTF-8 bytes: a key with non-ASCII characters matches itself only', async () => {
    const key = 'clé-secrète-de-test-0001';
    const backend = new ApiKeyAuthentication({ hashedKeys: { [sha256(key)]: { name: 'unicode' } } });
    expect(await decide(backend, [['X-API-Key', key]])).toMatchObject({ userId: 'unicode' });
    expect(await decide(backend, [['X-API-Key', key.normalize('NFD')]])).toBe('api_key_invalid');
  });
});

describe('ApiKeyAuthentication: where the key is read', () => {
  const backend = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'svc' } } });
  const withScheme = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'svc' } }, header: 'Authorization', scheme: 'Api-Key' });
  const custom = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'svc' } }, header: 'X-Client-Key' });

  it.each<[string, ApiKeyAuthentication, Array<[string, string]>, string | null]>([
    ['no header: the next backend is tried', backend, [], null],
    ['another header only', backend, [['Authorization', `Bearer ${KEY}`]], null],
    ['the header in any case', backend, [['x-API-key', KEY]], 'svc'],
    ['an empty value', backend, [['X-API-Key', '']], 'api_key_invalid'],
    [
      'the header twice (RFC 6750 §3.1)',
      backend,
      [
        ['X-API-Key', KEY],
        ['x-api-key', KEY],
      ],
      'invalid_request',
    ],
    ['a custom header', custom, [['X-Client-Key', KEY]], 'svc'],
    ['a custom header: the default one is not read', custom, [['X-API-Key', KEY]], null],
    ['scheme: the key after it', withScheme, [['Authorization', `Api-Key ${KEY}`]], 'svc'],
    ['scheme: matched case-insensitively', withScheme, [['Authorization', `api-key ${KEY}`]], 'svc'],
    ['scheme: another scheme is another backend’s', withScheme, [['Authorization', `Bearer ${KEY}`]], null],
    ['scheme: nothing after it', withScheme, [['Authorization', 'Api-Key']], 'token_malformed'],
    ['scheme: two spaces', withScheme, [['Authorization', `Api-Key  ${KEY}`]], 'token_malformed'],
    ['scheme: a wrong key after it', withScheme, [['Authorization', `Api-Key ${OTHER}`]], 'api_key_invalid'],
  ])('%s', async (_, which, headers, expected) => {
    const answer = await decide(which, headers);
    expect(typeof answer === 'object' && answer !== null ? answer.userId : answer).toBe(expected);
  });

  it('declares its header in OpenAPI', () => {
    expect(backend.openApiScheme()).toEqual({ name: 'api_key', scheme: { type: 'apiKey', in: 'header', name: 'X-API-Key' } });
    expect(custom.openApiScheme()).toEqual({ name: 'api_key', scheme: { type: 'apiKey', in: 'header', name: 'X-Client-Key' } });
  });
});

describe('ApiKeyAuthentication: validate()', () => {
  it('is asked only for keys that match no configured key, with the key as sent', async () => {
    const validate = vi.fn((key: string) => (key === OTHER ? { name: 'from-db', permissions: ['a'] } : null));
    const backend = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'configured' } }, validate });
    expect(await decide(backend, [['X-API-Key', KEY]])).toMatchObject({ userId: 'configured' });
    expect(validate).not.toHaveBeenCalled();
    expect(await decide(backend, [['X-API-Key', OTHER]])).toEqual({ userId: 'from-db', permissions: ['a'], claims: { name: 'from-db' } });
    expect(await decide(backend, [['X-API-Key', 'unknown-key-0000000']])).toBe('api_key_invalid');
    expect(validate.mock.calls).toEqual([[OTHER], ['unknown-key-0000000']]);
  });

  it('answers synchronously when validate() does', () => {
    const backend = new ApiKeyAuthentication({ validate: () => ({ name: 'sync' }) });
    const answer = backend.authenticate(request([['X-API-Key', KEY]]));
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toMatchObject({ userId: 'sync' });
  });

  it('never asks about a key over maxKeyLength', async () => {
    const validate = vi.fn(() => ({ name: 'x' }));
    const backend = new ApiKeyAuthentication({ validate, maxKeyLength: 32 });
    expect(await decide(backend, [['X-API-Key', 'k'.repeat(32)]])).toMatchObject({ userId: 'x' });
    expect(await decide(backend, [['X-API-Key', 'k'.repeat(33)]])).toBe('api_key_invalid');
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it('refuses a key over the default maxKeyLength (1024) before any work', async () => {
    const validate = vi.fn(() => ({ name: 'x' }));
    const backend = new ApiKeyAuthentication({ validate });
    expect(await decide(backend, [['X-API-Key', 'k'.repeat(1025)]])).toBe('api_key_invalid');
    expect(validate).not.toHaveBeenCalled();
  });

  const storeDown = new Error('connect ECONNREFUSED 10.0.0.5:5432');
  it.each<[string, string, ApiKeyAuthenticationOptions['validate']]>([
    ['null', 'api_key_invalid', () => null],
    ['a Promise of null', 'api_key_invalid', async () => null],
    ['undefined (a sloppy lookup)', 'api_key_invalid', () => undefined as never],
    [
      'a throw: the store failed, fail closed',
      'auth_unavailable',
      () => {
        throw storeDown;
      },
    ],
    ['a rejection: the store failed, fail closed', 'auth_unavailable', () => Promise.reject(storeDown)],
    [
      'an AuthError thrown: kept as it is',
      'permission_denied',
      () => {
        throw new AuthError(403, 'permission_denied', 'Key suspended');
      },
    ],
    [
      'an AuthError rejected: kept as it is',
      'permission_denied',
      () => Promise.reject(new AuthError(403, 'permission_denied', 'Key suspended')),
    ],
  ])('validate() giving %s → %s', async (_, code, validate) => {
    expect(await decide(new ApiKeyAuthentication({ validate }), [['X-API-Key', KEY]])).toBe(code);
  });

  it('keeps the store failure as the cause, and never puts the key in the message', async () => {
    const backend = new ApiKeyAuthentication({ validate: () => Promise.reject(storeDown) });
    const error = await Promise.resolve(backend.authenticate(request([['X-API-Key', KEY]]))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).cause).toBe(storeDown);
    expect((error as AuthError).message).not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
  });

  it('never puts a refused key in the error', async () => {
    const backend = new ApiKeyAuthentication({ keys: [KEY] });
    const error = await Promise.resolve()
      .then(() => backend.authenticate(request([['X-API-Key', OTHER]])))
      .catch((caught: unknown) => caught);
    expect((error as AuthError).code).toBe('api_key_invalid');
    expect(`${(error as AuthError).message} ${JSON.stringify(error)}`).not.toContain(OTHER);
  });
});

describe('ApiKeyAuthentication: one request cannot change the next', () => {
  it("a handler that writes into the result's permissions does not grant them to the key's next request", async () => {
    // contextFrom() puts result.permissions on request.context as it is: if the backend hands out
    // the configured grant's own array, `context.permissions.push('admin')` in one handler grants
    // 'admin' to every later request with that key.
    const backend = new ApiKeyAuthentication({ keys: { [KEY]: { name: 'svc', permissions: ['read'] } } });
    const first = (await decide(backend, [['X-API-Key', KEY]])) as AuthResult;
    try {
      first.permissions!.push('admin');
    } catch {
      // a frozen array is as good as a copy
    }
    expect(await decide(backend, [['X-API-Key', KEY]])).toMatchObject({ userId: 'svc', permissions: ['read'] });
  });
});
