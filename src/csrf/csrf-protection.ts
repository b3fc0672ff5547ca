import { createHash, createHmac, KeyObject, timingSafeEqual } from 'node:crypto';
import { parse } from 'cookie';
import type { TokenCookieOptions, TokenOptions } from '../auth.options.js';
import { CsrfFailedError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/** Cookie settings with every default applied. */
export type ResolvedCookieOptions = Required<Omit<TokenCookieOptions, 'domain'>> & Pick<TokenCookieOptions, 'domain'>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Double-submit CSRF protection bound to a login: the CSRF token is an HMAC of the login
 * family (`fam` claim) under a key derived from the token signing key, so a CSRF token
 * from another login (or forged without the key) never matches. It is checked only for
 * cookie-authenticated requests with an unsafe method.
 */
export class CsrfProtection {
  readonly cookies: ResolvedCookieOptions;
  private readonly key: Buffer;

  constructor(tokens: TokenOptions) {
    const c = tokens.cookies ?? {};
    this.cookies = {
      secure: c.secure ?? true,
      sameSite: c.sameSite ?? 'lax',
      access: c.access ?? 'access_token',
      refresh: c.refresh ?? 'refresh_token',
      csrf: c.csrf ?? 'csrf_token',
      csrfHeader: (c.csrfHeader ?? 'x-csrf-token').toLowerCase(),
      refreshPath: c.refreshPath ?? '/auth/refresh',
      domain: c.domain,
    };
    // A separate key, so a CSRF token can never double as a token signature.
    this.key = createHash('sha256').update('nestjs-warden:csrf\0').update(keyMaterial(tokens)).digest();
  }

  /** The CSRF token of a login family. */
  tokenFor(family: string): string {
    return createHmac('sha256', this.key).update(family).digest('base64url');
  }

  /** Refuses an unsafe cookie-authenticated request whose header does not echo its login's CSRF token. */
  check(request: AuthRequest, claims: Record<string, unknown>): void {
    if (SAFE_METHODS.has(request.method.toUpperCase())) return;
    const sent = request.headers[this.cookies.csrfHeader];
    const family = claims.fam;
    if (typeof sent !== 'string' || typeof family !== 'string') throw new CsrfFailedError();
    const expected = Buffer.from(this.tokenFor(family));
    const given = Buffer.from(sent);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CsrfFailedError();
  }
}

/** Reads a cookie: from cookie-parser / @fastify/cookie when present, else from the raw header. */
export function readCookie(request: AuthRequest, name: string): string | undefined {
  const parsed = request.cookies?.[name];
  if (parsed !== undefined) return parsed;
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  return parse(header)[name];
}

function keyMaterial(tokens: TokenOptions): Buffer {
  const key = tokens.secret ?? tokens.privateKey;
  if (key === undefined) return Buffer.alloc(0);
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (Buffer.isBuffer(key)) return key;
  if (key instanceof KeyObject) return key.type === 'secret' ? key.export() : Buffer.from(key.export({ format: 'der', type: 'pkcs8' }));
  return Buffer.from(JSON.stringify(key));
}
