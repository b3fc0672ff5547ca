import { describe, expect, it } from 'vitest';
import { AuthError, TokenExpiredError, TokenInvalidError } from '../auth.errors.js';
import { refusal } from './refusal.js';

describe('refusal', () => {
  it('is the coded AuthError, with its default or given message, and no stack frames', () => {
    const error = refusal(TokenInvalidError);
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'token_invalid', message: 'The token signature is invalid', invalidToken: true });
    expect(error.getStatus()).toBe(401);
    expect(error.stack).not.toMatch(/\n\s+at /);
    expect(refusal(TokenExpiredError, 'gone').message).toBe('gone');
  });

  it('leaves the stack trace limit as it found it, even when the constructor throws', () => {
    const before = Error.stackTraceLimit;
    refusal(TokenInvalidError);
    expect(Error.stackTraceLimit).toBe(before);
    class Throws extends TokenInvalidError {
      constructor() {
        super();
        throw new RangeError('boom');
      }
    }
    expect(() => refusal(Throws)).toThrow(RangeError);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
