import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { AuthContext, Auth, AuthenticatedWithin, RequiresAcr, TokenService, type RequestContext } from '../../src/index.js';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type AdapterName } from '../utils/app.js';
import { claims, hs, now } from '../utils/tokens.js';
import { connectIo, connectWs, refusal, SECRET, wsAppModule, type ConnectOptions, type WsTestClient } from './ws-fixtures.js';

/**
 * Review findings 5 and 12 on both WebSocket adapters and both HTTP adapters:
 * - a step-up refusal (401 insufficient_user_authentication) answers that message only: the
 *   connection's credential is good, so the connection stays open for the other handlers;
 * - a cookie on a handshake made over HTTPS needs an `https:` Origin: a page on `http://` the
 *   same host (which anyone on the network can write) never uses the HTTPS site's cookies.
 */
@WebSocketGateway()
class StepUpGateway {
  @Auth({ guards: [AuthenticatedWithin(60)] })
  @SubscribeMessage('sensitive')
  sensitive(): { event: string; data: unknown } {
    return { event: 'sensitive', data: 'done' };
  }

  @Auth({ guards: [RequiresAcr('mfa')] })
  @SubscribeMessage('strong')
  strong(): { event: string; data: unknown } {
    return { event: 'strong', data: 'done' };
  }

  @SubscribeMessage('me')
  me(@AuthContext() context: RequestContext): { event: string; data: unknown } {
    return { event: 'me', data: context.userId };
  }
}

@Module({ imports: [wsAppModule()], providers: [StepUpGateway] })
class StepUpModule {}

interface Flavour {
  name: string;
  useAdapter(app: INestApplication): void;
  connect(url: string, options?: ConnectOptions): Promise<WsTestClient>;
  closedBy(status: number): number | string;
}

const FLAVOURS: Flavour[] = [
  {
    name: 'socket.io',
    useAdapter: (app) => app.useWebSocketAdapter(new IoAdapter(app)),
    connect: connectIo,
    closedBy: () => 'io server disconnect',
  },
  {
    name: 'ws',
    useAdapter: (app) => app.useWebSocketAdapter(new WsAdapter(app)),
    connect: connectWs,
    closedBy: (status) => 4000 + status,
  },
];

/** A self-signed certificate for 127.0.0.1, made for this run. */
let tls: { key: Buffer; cert: Buffer } | undefined;
let tlsDir: string | undefined;
beforeAll(() => {
  tlsDir = mkdtempSync(join(tmpdir(), 'warden-tls-'));
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    join(tlsDir, 'key.pem'),
    '-out',
    join(tlsDir, 'cert.pem'),
  ]);
  tls = { key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) };
});
afterAll(() => {
  if (tlsDir !== undefined) rmSync(tlsDir, { recursive: true, force: true });
});

/** The app on HTTPS (127.0.0.1, a free port). */
async function startTls(adapter: AdapterName, flavour: Flavour): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [StepUpModule] }).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: false, httpsOptions: tls })
      : moduleRef.createNestApplication(new FastifyAdapter({ https: tls! }), { logger: false });
  flavour.useAdapter(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, url };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(FLAVOURS.flatMap((flavour) => ADAPTERS.map((adapter) => [flavour, adapter] as const)))(
  '%s gateway on %s: step-up and the Origin scheme',
  (flavour, adapter) => {
    let app: INestApplication | undefined;
    const clients: WsTestClient[] = [];
    afterEach(async () => {
      for (const client of clients.splice(0)) client.close();
      await app?.close();
      app = undefined;
    });

    async function start(): Promise<{ url: string; tokens: TokenService }> {
      const t = await startApp(adapter, { imports: [StepUpModule] }, (created) => flavour.useAdapter(created));
      app = t.app;
      return { url: t.url, tokens: t.app.get(TokenService) };
    }

    async function connect(url: string, options?: ConnectOptions): Promise<WsTestClient> {
      const client = await flavour.connect(url, options);
      clients.push(client);
      return client;
    }

    /** Whether the connection was closed within `ms`. */
    const closedWithin = (client: WsTestClient, ms: number): Promise<boolean> =>
      Promise.race([client.closed.then(() => true), sleep(ms).then(() => false)]);

    it('a step-up refusal (401 insufficient_user_authentication) answers that message only: the connection stays open', async () => {
      const { url } = await start();
      const old = hs(claims({ sub: '31', auth_time: now() - 3600, acr: 'pwd' }), SECRET);
      const client = await connect(url, { headers: { authorization: `Bearer ${old}` } });
      expect(await client.call('sensitive')).toEqual(refusal('insufficient_user_authentication', 401));
      expect(await client.call('strong')).toEqual(refusal('insufficient_user_authentication', 401));
      expect(await closedWithin(client, 150)).toBe(false);
      expect(await client.call('me')).toEqual({ event: 'me', data: '31' });
      // A recent MFA login on another connection passes both.
      const fresh = hs(claims({ sub: '32', auth_time: now(), acr: 'mfa' }), SECRET);
      const stepped = await connect(url, { headers: { authorization: `Bearer ${fresh}` } });
      expect(await stepped.call('sensitive')).toEqual({ event: 'sensitive', data: 'done' });
      expect(await stepped.call('strong')).toEqual({ event: 'strong', data: 'done' });
      // A refused credential still closes the connection.
      const expired = hs(claims({ sub: '33', iat: now() - 100, exp: now() - 10 }), SECRET);
      const gone = await connect(url, { headers: { authorization: `Bearer ${expired}` } });
      expect(await gone.call('sensitive')).toEqual(refusal('token_expired', 401));
      expect(await gone.closed).toBe(flavour.closedBy(401));
    });

    it('behind a proxy that says https (X-Forwarded-Proto): the cookie needs an https: Origin of the host', async () => {
      const { url, tokens } = await start();
      const cookie = `access_token=${tokens.createAccessToken({ id: 34 })}`;
      const host = new URL(url).host;
      for (const proto of ['https', 'https, http', 'HTTPS']) {
        const downgraded = await connect(url, { headers: { cookie, origin: `http://${host}`, 'x-forwarded-proto': proto } });
        expect(await downgraded.call('me'), proto).toEqual(refusal('csrf_failed', 403));
        expect(await downgraded.closed).toBe(flavour.closedBy(403));
      }
      const forwarded = await connect(url, { headers: { cookie, origin: `http://${host}`, forwarded: 'for=1.2.3.4;proto=https' } });
      expect(await forwarded.call('me')).toEqual(refusal('csrf_failed', 403));
      const secure = await connect(url, { headers: { cookie, origin: `https://${host}`, 'x-forwarded-proto': 'https' } });
      expect(await secure.call('me')).toEqual({ event: 'me', data: '34' });
      // A plain handshake with no proxy header: http: and https: pages of the host (TLS ended before this server).
      for (const scheme of ['http', 'https']) {
        const plain = await connect(url, { headers: { cookie, origin: `${scheme}://${host}` } });
        expect(await plain.call('me'), scheme).toEqual({ event: 'me', data: '34' });
      }
    });

    it('over TLS (wss:): a page on http:// the same host cannot use the cookie; the https:// page can', async () => {
      const started = await startTls(adapter, flavour);
      app = started.app;
      const { url } = started;
      const tokens = app.get(TokenService);
      const cookie = `access_token=${tokens.createAccessToken({ id: 35 })}`;
      const host = new URL(url).host;
      // The certificate is this run's own, self-signed.
      const selfSigned = { rejectUnauthorized: false };
      const downgraded = await connect(url, { headers: { cookie, origin: `http://${host}` }, ...selfSigned });
      expect(await downgraded.call('me')).toEqual(refusal('csrf_failed', 403));
      expect(await downgraded.closed).toBe(flavour.closedBy(403));
      const secure = await connect(url, { headers: { cookie, origin: `https://${host}` }, ...selfSigned });
      expect(await secure.call('me')).toEqual({ event: 'me', data: '35' });
      const noOrigin = await connect(url, { headers: { cookie }, ...selfSigned });
      expect(await noOrigin.call('me')).toEqual({ event: 'me', data: '35' });
      // A bearer token is not a cookie: any page may send it.
      const bearer = await connect(url, {
        headers: { authorization: `Bearer ${tokens.createAccessToken({ id: 36 })}`, origin: `http://${host}` },
        ...selfSigned,
      });
      expect(await bearer.call('me')).toEqual({ event: 'me', data: '36' });
    });
  },
);
