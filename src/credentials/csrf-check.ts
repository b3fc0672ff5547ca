import { createHash, createHmac, KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenOptions } from '../auth.options.js';
import { CsrfFailedError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/** RFC 9110 §9.2.1 safe methods: they must not change state, so they need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Refuses a request authenticated by a cookie-borne credential (which a browser also
 * sends on cross-site requests) when its method is unsafe and the CSRF header does not
 * echo its login's CSRF token: double submit, bound to the login. `expected` is that
 * token; `null` means the login has none, and every unsafe request is refused. Compared
 * in constant time. Throws 403 `csrf_failed`.
 */
export function checkCsrf(request: AuthRequest, expected: string | null, header: string): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  const sent = request.headers[header];
  if (expected === null || expected.length === 0 || typeof sent !== 'string' || !sameText(sent, expected)) {
    throw new CsrfFailedError();
  }
}

/** A fresh CSRF token for a login whose token is kept server-side (a session). */
export function randomCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Derives the CSRF token of a JWT login from its family (`fam` claim): an HMAC under a
 * key derived from the `tokens` signing key, so it survives refreshes of the same login,
 * and a token of another login, or one forged without the key, never matches. Answers
 * `undefined` when the app has no `tokens` (no key).
 */
export function csrfTokenDeriver(tokens: TokenOptions | undefined): ((family: string) => string) | undefined {
  if (tokens === undefined) return undefined;
  // A separate key, so a CSRF token can never double as a token signature.
  const key = createHash('sha256').update('nestjs-warden:csrf\0').update(keyMaterial(tokens)).digest();
  return (family) => createHmac('sha256', key).update(family).digest('base64url');
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function keyMaterial(tokens: TokenOptions): Buffer {
  const key = tokens.secret ?? tokens.privateKey;
  if (key === undefined) return Buffer.alloc(0);
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (Buffer.isBuffer(key)) return key;
  if (key instanceof KeyObject) return key.type === 'secret' ? key.export() : Buffer.from(key.export({ format: 'der', type: 'pkcs8' }));
  return Buffer.from(JSON.stringify(key));
}
