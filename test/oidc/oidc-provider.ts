import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** The resource (RFC 8707) the NestJS app is: the `aud` of the JWT access tokens the provider issues for it. */
export const RESOURCE = 'https://api.example';
export const SERVICE_CLIENT = { id: 'reports-service', secret: 'reports-service-secret-0123456789' };
export const WEB_CLIENT = { id: 'web-app', redirectUri: 'http://127.0.0.1/callback' };

/** A private signing key (JWK, with `kid`) for the provider. */
export async function signingJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A real OpenID provider (`oidc-provider`, OpenID Certified) on 127.0.0.1: discovery, JWKS,
 * the token endpoint (client credentials), authorization code with PKCE through its development
 * login and consent pages, JWT access tokens for {@link RESOURCE}. `rotate()` restarts it with
 * another key set at the same issuer (what a provider's key rotation looks like from outside).
 */
export class OidcProviderServer {
  issuer = '';
  /** Requests per path, to see what the app fetched. */
  readonly hits = new Map<string, number>();
  /** `'down'`: every request answers 503, as a provider in an outage. */
  mode: 'up' | 'down' = 'up';
  private handler: Handler | undefined;
  private readonly server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    if (this.mode === 'down' || this.handler === undefined) {
      res.statusCode = 503;
      res.end();
      return;
    }
    this.handler(req, res);
  });

  async start(keys: JWK[]): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.rotate(keys);
    return this.issuer;
  }

  /** The provider with this key set from now on (the first key signs). */
  rotate(keys: JWK[]): void {
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: SERVICE_CLIENT.id,
          client_secret: SERVICE_CLIENT.secret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
        {
          client_id: WEB_CLIENT.id,
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          redirect_uris: [WEB_CLIENT.redirectUri],
          response_types: ['code'],
        },
      ],
      jwks: { keys },
      ttl: { AccessToken: 600, AuthorizationCode: 60, ClientCredentials: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
      scopes: ['openid', 'reports:read'],
      pkce: { required: () => true },
      findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'reports:read',
            audience: RESOURCE,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
    });
    this.handler = provider.callback() as Handler;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A JWT access token through the client credentials grant (RFC 6749 §4.4), for {@link RESOURCE}. */
  async clientCredentialsToken(): Promise<string> {
    const response = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'reports:read', resource: RESOURCE }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!response.ok || body.access_token === undefined) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /**
   * A user's JWT access token through the authorization code flow with PKCE (RFC 7636), driven as
   * a browser would: the authorization request, the login page (user `login`), the consent page,
   * the redirect back with the code, the code exchanged with its verifier.
   */
  async authorizationCodeToken(login: string): Promise<string> {
    const jar = new Map<string, string>();
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = new URL(`${this.issuer}/auth`);
    for (const [name, value] of Object.entries({
      client_id: WEB_CLIENT.id,
      response_type: 'code',
      redirect_uri: WEB_CLIENT.redirectUri,
      scope: 'openid reports:read',
      resource: RESOURCE,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
    }))
      authorize.searchParams.set(name, value);
    let location = authorize.toString();
    for (let step = 0; step < 12; step++) {
      if (location.startsWith(WEB_CLIENT.redirectUri)) {
        const code = new URL(location).searchParams.get('code');
        if (code === null) throw new Error(`no code in the redirect: ${location}`);
        return this.exchange(code, verifier);
      }
      let response = await this.browse(jar, location);
      if (response.status === 200 && new URL(location).pathname.startsWith('/interaction/')) {
        // The development login or consent page: submit its form.
        const page = await response.text();
        const form: Record<string, string> = page.includes('name="login"')
          ? { prompt: 'login', login, password: 'any-password' }
          : { prompt: 'consent' };
        response = await this.browse(jar, location, new URLSearchParams(form));
      }
      const next = response.headers.get('location');
      if (next === null) throw new Error(`the flow stopped at ${location} (HTTP ${response.status}): ${await response.text()}`);
      location = new URL(next, this.issuer).toString();
    }
    throw new Error('the authorization flow did not finish');
  }

  private async exchange(code: string, verifier: string): Promise<string> {
    const response = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: WEB_CLIENT.redirectUri,
        client_id: WEB_CLIENT.id,
        code_verifier: verifier,
      }),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!response.ok || body.access_token === undefined) throw new Error(`the code exchange failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /** One browser request: cookies from the jar, redirects not followed, new cookies kept. */
  private async browse(jar: Map<string, string>, url: string, form?: URLSearchParams): Promise<Response> {
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(form === undefined ? {} : { body: form }),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }
}
