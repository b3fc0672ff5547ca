import { afterEach, describe, expect, it, vi } from 'vitest';
import { discoverJwksUri, discoveryUrl } from './oidc-discovery.js';

function serve(document: unknown): void {
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(document), { headers: { 'content-type': 'application/json' } }));
}

describe('OpenID discovery', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    ['https://idp.example', 'https://idp.example/.well-known/openid-configuration'],
    ['https://tenant.auth0.com/', 'https://tenant.auth0.com/.well-known/openid-configuration'],
    ['https://kc.example/realms/main', 'https://kc.example/realms/main/.well-known/openid-configuration'],
  ])('%s → %s', (issuer, url) => {
    expect(discoveryUrl(issuer)).toBe(url);
  });

  it('answers the jwks_uri of a document naming exactly the issuer (Auth0 keeps its trailing slash)', async () => {
    serve({ issuer: 'https://tenant.auth0.com/', jwks_uri: 'https://tenant.auth0.com/.well-known/jwks.json' });
    await expect(discoverJwksUri('https://tenant.auth0.com/', 1000)).resolves.toBe('https://tenant.auth0.com/.well-known/jwks.json');
  });

  it('follows a jwks_uri on another host over https (Google: accounts.google.com → www.googleapis.com)', async () => {
    serve({ issuer: 'https://accounts.google.com', jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs' });
    await expect(discoverJwksUri('https://accounts.google.com', 1000)).resolves.toBe('https://www.googleapis.com/oauth2/v3/certs');
  });

  it.each([
    ['an https issuer downgraded to an http jwks_uri on loopback', { issuer: 'https://idp.example', jwks_uri: 'http://127.0.0.1/keys' }],
    ['another issuer', { issuer: 'https://evil.example', jwks_uri: 'https://evil.example/keys' }],
    ['a javascript: jwks_uri', { issuer: 'https://idp.example', jwks_uri: 'javascript:alert(1)' }],
    ['a file: jwks_uri', { issuer: 'https://idp.example', jwks_uri: 'file:///etc/passwd' }],
    ['null', null],
  ])('refuses %s', async (_, document) => {
    serve(document);
    await expect(discoverJwksUri('https://idp.example', 1000)).rejects.toThrow(Error);
  });

  it('refuses an answer that is not 2xx', async () => {
    vi.stubGlobal('fetch', async () => new Response('down', { status: 500 }));
    await expect(discoverJwksUri('https://idp.example', 1000)).rejects.toThrow(/HTTP 500/);
  });
});
