import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError, AuthUnavailableError, CredentialsMissingError, PermissionDeniedError, TokenRevokedError } from './auth.errors.js';
import { andThen, ask, askWithin, isAnonymous, isPending, refusal, unavailable } from './auth.policy.js';
import { anonymousContext, contextFrom } from './context/request-context.js';

const authenticated = contextFrom({ userId: '7' }, 'jwt');

describe('andThen: sync-or-Promise composition', () => {
  it('applies next at once to a plain value, with the extra arguments, and returns no Promise', () => {
    const seen: unknown[] = [];
    const out = andThen(2, (value: number, a: string, b: number, c: boolean) => (seen.push(a, b, c), value * 10), 'a', 3, true);
    expect(out).toBe(20);
    expect(seen).toEqual(['a', 3, true]);
  });

  it('waits for a Promise, then applies next with the same arguments', async () => {
    const out = andThen(Promise.resolve(2), (value: number, a: number) => value + a, 5);
    expect(isPending(out)).toBe(true);
    await expect(out).resolves.toBe(7);
  });

  it('a rejection passes through, next not called', async () => {
    const next = vi.fn();
    await expect(andThen(Promise.reject(new TokenRevokedError()), next)).rejects.toBeInstanceOf(TokenRevokedError);
    expect(next).not.toHaveBeenCalled();
  });

  it('flattens a Promise that next returns', async () => {
    await expect(andThen(Promise.resolve(1), (value: number) => Promise.resolve(value + 1))).resolves.toBe(2);
  });
});

describe('store failure → 503 auth_unavailable', () => {
  const cause = new Error('ECONNRESET');

  it.each([
    ['an Error', cause],
    ['a string', 'down'],
    ['undefined', undefined],
  ])('unavailable(%s) is AuthUnavailableError with the cause kept', (_, error) => {
    const mapped = unavailable(error, 'The store did not answer');
    expect(mapped).toBeInstanceOf(AuthUnavailableError);
    expect(mapped.getStatus()).toBe(503);
    expect(mapped.code).toBe('auth_unavailable');
    expect(mapped.message).toBe('The store did not answer');
    expect(mapped.cause).toBe(error);
  });

  it('an AuthError is a decision and passes as it is', () => {
    const decision = new TokenRevokedError();
    expect(unavailable(decision, 'x')).toBe(decision);
  });

  it('ask: a synchronous throw becomes 503, a plain answer stays plain', () => {
    expect(() =>
      ask('The store did not answer', () => {
        throw cause;
      }),
    ).toThrow(AuthUnavailableError);
    expect(ask('x', () => false)).toBe(false);
    expect(ask('x', (a: number, b: number) => a + b, 2, 3)).toBe(5);
  });

  it('ask: a rejection becomes 503 with its cause; an AuthError rejection passes', async () => {
    const failed = ask('The store did not answer', () => Promise.reject(cause));
    await expect(failed).rejects.toMatchObject({ code: 'auth_unavailable', cause });
    await expect(ask('x', () => Promise.reject(new TokenRevokedError()))).rejects.toBeInstanceOf(TokenRevokedError);
  });
});

describe('askWithin: a store that never answers is a store that is down', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an answer in time is the answer', async () => {
    await expect(askWithin(() => Promise.resolve('ok'), 1000, 'The loader did not answer')).resolves.toBe('ok');
    expect(askWithin(() => 'sync', 1000, 'x')).toBe('sync');
  });

  it('no answer within timeoutMs: 503 naming the bound', async () => {
    vi.useFakeTimers();
    const pending = askWithin(() => new Promise<never>(() => undefined), 250, 'The loader did not answer');
    const settled = expect(pending).rejects.toMatchObject({
      code: 'auth_unavailable',
      message: 'The loader did not answer in time (250 ms)',
    });
    await vi.advanceTimersByTimeAsync(249);
    let done = false;
    void pending.catch(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
  });

  it('a late rejection after the timeout leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const late = askWithin(() => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late')), 30)), 5, 'x');
      await expect(late).rejects.toMatchObject({ code: 'auth_unavailable' });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

describe('anonymous → 401, authenticated → 403', () => {
  it.each([
    ['no context yet', undefined, true, CredentialsMissingError, 401],
    ['an anonymous context', anonymousContext(), true, CredentialsMissingError, 401],
    ['an authenticated context', authenticated, false, PermissionDeniedError, 403],
  ])('%s', (_, context, anonymous, type, status) => {
    expect(isAnonymous(context)).toBe(anonymous);
    const error: AuthError = refusal(context);
    expect(error).toBeInstanceOf(type);
    expect(error.getStatus()).toBe(status);
  });
});
