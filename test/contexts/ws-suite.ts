import type { INestApplication } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenService, type AuthModuleOptions } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs, now } from '../utils/tokens.js';
import { SECRET, refusal, wsAppModule, type ConnectOptions, type WsTestClient } from './ws-fixtures.js';

/** What differs between the socket.io and the ws adapter for the shared suite. */
export interface WsFlavour {
  name: string;
  useAdapter(app: INestApplication): void;
  connect(url: string, options?: ConnectOptions): Promise<WsTestClient>;
  /** What `closed` resolves with when the server closes a connection whose credential is refused (`status` 401 or 403). */
  closedBy(status: 401 | 403): number | string;
}

/**
 * The checks both adapters must pass, on the Express and the Fastify HTTP adapters: the
 * credential in the handshake's Authorization header or cookie, the decorators on message
 * handlers, per-message re-checks (expiry, revocation: refused and closed), attack rows,
 * and no identity shared between concurrent clients.
 */
export function wsSuite(flavour: WsFlavour): void {
  describe.each(ADAPTERS)(`${flavour.name} gateway on %s`, (adapter) => {
    let t: TestApp | undefined;
    const clients: WsTestClient[] = [];
    afterEach(async () => {
      for (const client of clients.splice(0)) client.close();
      await t?.close();
      t = undefined;
    });

    async function start(options: Partial<AuthModuleOptions> = {}): Promise<{ url: string; tokens: TokenService }> {
      t = await startApp(adapter, { imports: [wsAppModule(options)] }, (app) => flavour.useAdapter(app));
      return { url: t.url, tokens: t.app.get(TokenService) };
    }

    async function connect(url: string, options?: ConnectOptions): Promise<WsTestClient> {
      const client = await flavour.connect(url, options);
      clients.push(client);
      return client;
    }

    const bearer = (token: string): ConnectOptions => ({ headers: { authorization: `Bearer ${token}` } });

    it('anonymous: a protected message is refused (401 credentials_missing) and the connection stays open for @Public() ones', async () => {
      const { url } = await start();
      const client = await connect(url);
      expect(await client.call('whoami')).toEqual(refusal('credentials_missing', 401));
      expect(await client.call('report')).toEqual(refusal('credentials_missing', 401));
      expect(await client.call('members')).toEqual(refusal('credentials_missing', 401));
      expect(await client.call('ping')).toEqual({ event: 'pong', data: { userId: null } });
      expect(await client.call('open')).toEqual({ event: 'open', data: 'open answer' });
    });

    it('the Authorization header of the handshake: @AuthContext(), @CurrentUser() and AuthContextService see its user', async () => {
      const { url, tokens } = await start();
      const client = await connect(url, bearer(tokens.createAccessToken({ id: 7 })));
      expect(await client.call('whoami', { n: 1 })).toEqual({
        event: 'whoami',
        data: { userId: '7', user: '7', service: '7', echo: { n: 1 } },
      });
      expect(await client.call('members')).toEqual({ event: 'members', data: '7' });
      expect(await client.call('ping')).toEqual({ event: 'pong', data: { userId: null } });
    });

    it('@Permissions() and @Auth({ guards }): 403 permission_denied without closing; allowed with the permission / as admin', async () => {
      const { url, tokens } = await start();
      const plain = await connect(url, bearer(tokens.createAccessToken({ id: 1 })));
      expect(await plain.call('report')).toEqual(refusal('permission_denied', 403));
      expect(await plain.call('admin')).toEqual(refusal('permission_denied', 403));
      expect(await plain.call('whoami')).toMatchObject({ event: 'whoami', data: { userId: '1' } });
      const reader = await connect(url, bearer(tokens.createAccessToken({ id: 2, permissions: ['reports:read'] })));
      expect(await reader.call('report')).toEqual({ event: 'report', data: 'the report' });
      const admin = await connect(url, bearer(tokens.createAccessToken({ id: 3, isSuperuser: true })));
      expect(await admin.call('admin')).toEqual({ event: 'admin', data: 'admin answer' });
      // A superuser is not granted permissions it does not hold (as on HTTP routes).
      expect(await admin.call('report')).toEqual(refusal('permission_denied', 403));
    });

    it('a token that expires during the connection: the next message is 401 token_expired and the connection is closed', async () => {
      const { url, tokens } = await start();
      const client = await connect(url, bearer(tokens.createAccessToken({ id: 5 }, { expiresIn: 2 })));
      expect(await client.call('whoami')).toMatchObject({ event: 'whoami', data: { userId: '5' } });
      await new Promise((resolve) => setTimeout(resolve, 2300));
      expect(await client.call('whoami')).toEqual(refusal('token_expired', 401));
      expect(await client.closed).toBe(flavour.closedBy(401));
    });

    it('TokenService.revoke(): the next message is 401 token_revoked and the connection is closed; others go on', async () => {
      const { url, tokens } = await start();
      const token = tokens.createAccessToken({ id: 8 });
      const client = await connect(url, bearer(token));
      const other = await connect(url, bearer(tokens.createAccessToken({ id: 9 })));
      expect(await client.call('whoami')).toMatchObject({ data: { userId: '8' } });
      await tokens.revoke(token);
      expect(await client.call('whoami')).toEqual(refusal('token_revoked', 401));
      expect(await client.closed).toBe(flavour.closedBy(401));
      expect(await other.call('whoami')).toMatchObject({ data: { userId: '9' } });
    });

    it('TokenService.revokeAllForUser(): every open connection of that user is refused at its next message', async () => {
      const { url, tokens } = await start();
      const first = await connect(url, bearer(tokens.createAccessToken({ id: 11 })));
      const second = await connect(url, bearer(tokens.createAccessToken({ id: 11 })));
      expect(await first.call('whoami')).toMatchObject({ data: { userId: '11' } });
      await tokens.revokeAllForUser('11');
      for (const client of [first, second]) {
        expect(await client.call('whoami')).toEqual(refusal('token_revoked', 401));
        expect(await client.closed).toBe(flavour.closedBy(401));
      }
    });

    it('attack rows at the handshake: each refused with its code, the gateway keeps serving everyone', async () => {
      const { url, tokens } = await start();
      const rows: [string, string, number][] = [
        ['forged (another key)', `Bearer ${hs(claims(), 'x'.repeat(32))}`, 401],
        ['alg none', `Bearer ${hs(claims(), SECRET, { alg: 'none', typ: 'JWT' }).split('.').slice(0, 2).join('.')}.`, 401],
        ['expired', `Bearer ${hs(claims({ iat: now() - 100, exp: now() - 10 }), SECRET)}`, 401],
        ['oversized', `Bearer ${'a'.repeat(9000)}`, 401],
        ['garbage', 'Bearer not-a-jwt', 401],
        ['scheme without credential', 'Bearer', 401],
      ];
      const codes: string[] = [];
      for (const [, authorization] of rows) {
        const client = await connect(url, { headers: { authorization } });
        const answer = await client.call('whoami');
        expect(answer.event).toBe('exception');
        codes.push((answer.data as { code: string }).code);
        expect(await client.closed).toBe(flavour.closedBy(401));
      }
      expect(codes).toEqual(['token_invalid', 'token_invalid', 'token_expired', 'token_malformed', 'token_malformed', 'token_malformed']);
      const healthy = await connect(url, bearer(tokens.createAccessToken({ id: 1 })));
      expect(await healthy.call('whoami')).toMatchObject({ data: { userId: '1' } });
    });

    it('a bad credential does not stop a @Public() handler (no backend runs there)', async () => {
      const { url } = await start();
      const client = await connect(url, { headers: { authorization: 'Bearer not-a-jwt' } });
      expect(await client.call('ping')).toEqual({ event: 'pong', data: { userId: null } });
    });

    it('the auth cookie: accepted from the same origin or with no Origin; refused (403 csrf_failed, closed) cross-origin', async () => {
      const { url, tokens } = await start();
      const cookie = `access_token=${tokens.createAccessToken({ id: 21 })}`;
      const host = new URL(url).host;
      const same = await connect(url, { headers: { cookie, origin: `http://${host}` } });
      expect(await same.call('whoami')).toMatchObject({ data: { userId: '21' } });
      const noOrigin = await connect(url, { headers: { cookie } });
      expect(await noOrigin.call('whoami')).toMatchObject({ data: { userId: '21' } });
      for (const origin of ['https://evil.example', 'null', `http://${host}.evil.example`, 'http://127.0.0.2:1']) {
        const cross = await connect(url, { headers: { cookie, origin } });
        expect(await cross.call('ping'), origin).toEqual({ event: 'pong', data: { userId: null } });
        expect(await cross.call('whoami'), origin).toEqual(refusal('csrf_failed', 403));
        expect(await cross.closed).toBe(flavour.closedBy(403));
      }
      // A bearer token is not a cookie: any origin may send it.
      const bearerCross = await connect(url, {
        headers: { ...bearer(tokens.createAccessToken({ id: 22 })).headers, origin: 'https://evil.example' },
      });
      expect(await bearerCross.call('whoami')).toMatchObject({ data: { userId: '22' } });
    });

    it('websocket.allowedOrigins lets a listed origin authenticate with the cookie, and only that one', async () => {
      const { url, tokens } = await start({ websocket: { allowedOrigins: ['https://app.example'] } });
      const cookie = `access_token=${tokens.createAccessToken({ id: 23 })}`;
      const listed = await connect(url, { headers: { cookie, origin: 'https://app.example' } });
      expect(await listed.call('whoami')).toMatchObject({ data: { userId: '23' } });
      const other = await connect(url, { headers: { cookie, origin: 'http://app.example' } });
      expect(await other.call('whoami')).toEqual(refusal('csrf_failed', 403));
    });

    it('many clients with different users at once: each message sees its own connection user, never another', async () => {
      const { url, tokens } = await start();
      const users = Array.from({ length: 24 }, (_, i) => String(100 + i));
      const connected = await Promise.all(
        users.map((id) => (id === '105' ? connect(url) : connect(url, bearer(tokens.createAccessToken({ id }))))),
      );
      const mismatches: string[] = [];
      let checked = 0;
      await Promise.all(
        connected.map(async (client, i) => {
          for (let round = 0; round < 6; round++) {
            const answer = await client.call(round % 3 === 2 ? 'ping' : 'whoami', { round });
            checked++;
            const expected = users[i] === '105' ? null : users[i];
            const data = answer.data as { userId?: unknown; service?: unknown; user?: unknown; code?: string };
            if (
              answer.event === 'pong'
                ? data.userId !== null
                : expected === null
                  ? data.code !== 'credentials_missing'
                  : data.userId !== expected || data.service !== expected || data.user !== expected
            ) {
              mismatches.push(`${users[i]}: ${JSON.stringify(answer)}`);
            }
          }
        }),
      );
      expect(mismatches).toEqual([]);
      expect(checked).toBe(24 * 6);
    });
  });
}
