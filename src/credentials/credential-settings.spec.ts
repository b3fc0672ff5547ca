import { describe, expect, it } from 'vitest';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { attachCredentialSettings, CredentialSettings, credentialSettingsOf } from './credential-settings.js';

const SECRET = 'credential-settings-secret-of-32-bytes!!';
const request = (): AuthRequest => ({ headers: {}, method: 'POST', url: '/login' });

describe('CredentialSettings', () => {
  it('resolves the cookies once; derives CSRF tokens only with tokens', () => {
    const withTokens = new CredentialSettings({ secret: SECRET, cookies: { csrf: 'xsrf' } });
    expect(withTokens.cookies.csrf).toBe('xsrf');
    expect(withTokens.csrfTokenFor!('family')).toBe(new CredentialSettings({ secret: SECRET }).csrfTokenFor!('family'));
    const without = new CredentialSettings(undefined);
    expect(without.cookies.csrf).toBe('csrf_token');
    expect(without.csrfTokenFor).toBeUndefined();
  });

  it('refuses bad cookie settings at construction (start-up)', () => {
    expect(() => new CredentialSettings({ secret: SECRET, cookies: { sameSite: 'none', secure: false } })).toThrow(TypeError);
  });
});

describe('the settings a request carries', () => {
  it('are the ones the guard attached, per request (two apps never mix)', () => {
    const a = new CredentialSettings(undefined);
    const b = new CredentialSettings({ secret: SECRET, cookies: { csrf: 'b_csrf' } });
    const first = request();
    const second = request();
    attachCredentialSettings(first, a);
    attachCredentialSettings(second, b);
    expect(credentialSettingsOf(first, 'loginSession')).toBe(a);
    expect(credentialSettingsOf(second, 'loginSession').cookies.csrf).toBe('b_csrf');
  });

  it('stay out of the request’s own fields', () => {
    const req = request();
    attachCredentialSettings(req, new CredentialSettings(undefined));
    expect(Object.keys(req)).toEqual(['headers', 'method', 'url']);
    expect(JSON.stringify(req)).toBe('{"headers":{},"method":"POST","url":"/login"}');
  });

  it('missing (the guard did not run): a TypeError that says where to call from', () => {
    expect(() => credentialSettingsOf(request(), 'loginSession')).toThrow(
      /^loginSession: this request did not pass AuthModule's global guard.*AuthModule\.forRoot\(\)/,
    );
  });
});
