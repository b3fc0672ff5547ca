import type { TokenCookieOptions } from '../auth.options.js';

/**
 * The cookie names and attributes of one app, every default applied: the one place they
 * are resolved (see `TokenCookieOptions` for each default). The CSRF header name is
 * lower-cased, as Node.js keys `request.headers`.
 */
export interface CookieSettings {
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';
  readonly domain: string | undefined;
  readonly access: string;
  readonly refresh: string;
  readonly csrf: string;
  readonly csrfHeader: string;
  readonly refreshPath: string;
}

/** Resolves `tokens.cookies` once, at start-up; a bad value fails the boot with a `TypeError`. */
export function resolveCookieSettings(options: TokenCookieOptions | undefined): CookieSettings {
  const given = options ?? {};
  const settings: CookieSettings = {
    secure: given.secure ?? true,
    sameSite: given.sameSite ?? 'lax',
    domain: given.domain,
    access: given.access ?? 'access_token',
    refresh: given.refresh ?? 'refresh_token',
    csrf: given.csrf ?? 'csrf_token',
    csrfHeader: (given.csrfHeader ?? 'x-csrf-token').toLowerCase(),
    refreshPath: given.refreshPath ?? '/auth/refresh',
  };
  for (const name of ['access', 'refresh', 'csrf', 'csrfHeader'] as const) {
    if (!TOKEN.test(settings[name])) {
      throw new TypeError(`AuthModule tokens.cookies.${name}: ${JSON.stringify(settings[name])} is not a valid cookie or header name`);
    }
  }
  if (!['lax', 'strict', 'none'].includes(settings.sameSite)) {
    throw new TypeError("AuthModule tokens.cookies.sameSite: give 'lax', 'strict' or 'none'");
  }
  if (settings.sameSite === 'none' && !settings.secure) {
    // Browsers drop a SameSite=None cookie that is not Secure: every login would silently fail.
    throw new TypeError("AuthModule tokens.cookies: sameSite 'none' needs secure: true (browsers refuse it otherwise)");
  }
  if (!settings.refreshPath.startsWith('/')) throw new TypeError('AuthModule tokens.cookies.refreshPath must start with "/"');
  return Object.freeze(settings);
}

/** RFC 9110 token characters: what a cookie name and a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
