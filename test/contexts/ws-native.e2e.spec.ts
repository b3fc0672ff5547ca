import { Module } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthContext, keepWsHandshake, TokenService, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { freePort } from '../utils/redis.js';
import { connectWs, refusal, wsAppModule, type WsTestClient } from './ws-fixtures.js';
import { wsSuite } from './ws-suite.js';

/** Issue 16, item 2: ws gateways (`@nestjs/platform-ws`, a real `ws` client): refusals as `{ event: 'exception', data }`, closes 4401/4403. */
wsSuite({
  name: 'ws',
  useAdapter: (app) => app.useWebSocketAdapter(new WsAdapter(app)),
  connect: connectWs,
  closedBy: (status) => 4000 + status,
});

describe.each(ADAPTERS)('ws gateways on their own port (%s)', (adapter) => {
  let t: TestApp | undefined;
  const clients: WsTestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await t?.close();
    t = undefined;
  });

  async function start(withLine: boolean, path?: string): Promise<{ port: number; tokens: TokenService }> {
    const port = await freePort();
    @WebSocketGateway(port, path === undefined ? {} : { path })
    class OwnPortGateway implements OnGatewayConnection {
      handleConnection(client: object, request: IncomingMessage): void {
        if (withLine) keepWsHandshake(client, request);
      }

      @SubscribeMessage('whoami')
      whoami(@AuthContext() context: RequestContext): { event: string; data: unknown } {
        return { event: 'whoami', data: context.userId };
      }
    }
    @Module({ imports: [wsAppModule()], providers: [OwnPortGateway] })
    class OwnPortModule {}
    t = await startApp(adapter, { imports: [OwnPortModule] }, (app) => {
      app.useWebSocketAdapter(new WsAdapter(app));
    });
    return { port, tokens: t.app.get(TokenService) };
  }

  async function connect(port: number, token: string, path = ''): Promise<WsTestClient> {
    const client = await connectWs(`http://127.0.0.1:${port}`, { headers: { authorization: `Bearer ${token}` } }, path);
    clients.push(client);
    return client;
  }

  it('own port without a path and no wiring: fail closed, 401 credentials_missing naming the one line that fixes it', async () => {
    const { port, tokens } = await start(false);
    const client = await connect(port, tokens.createAccessToken({ id: 41 }));
    const answer = await client.call('whoami');
    expect(answer).toEqual(refusal('credentials_missing', 401));
    expect((answer.data as { message: string }).message).toContain('keepWsHandshake(client, request)');
  });

  it('own port without a path, with keepWsHandshake() in handleConnection: authenticated', async () => {
    const { port, tokens } = await start(true);
    const client = await connect(port, tokens.createAccessToken({ id: 42 }));
    expect(await client.call('whoami')).toEqual({ event: 'whoami', data: '42' });
  });

  it("own port with a path: the adapter's own HTTP server is watched, no wiring needed", async () => {
    const { port, tokens } = await start(false, '/events');
    const client = await connect(port, tokens.createAccessToken({ id: 43 }), '/events');
    expect(await client.call('whoami')).toEqual({ event: 'whoami', data: '43' });
  });
});
