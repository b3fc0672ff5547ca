import { IoAdapter } from '@nestjs/platform-socket.io';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { connectIo, refusal, wsAppModule, type WsTestClient } from './ws-fixtures.js';
import { wsSuite } from './ws-suite.js';

/** Issue 16, item 2: socket.io gateways (`@nestjs/platform-socket.io`, a real `socket.io-client`). */
wsSuite({
  name: 'socket.io',
  useAdapter: (app) => app.useWebSocketAdapter(new IoAdapter(app)),
  connect: connectIo,
  closedBy: () => 'io server disconnect',
});

describe.each(ADAPTERS)('socket.io auth payload and acknowledgements on %s', (adapter) => {
  let t: TestApp | undefined;
  const clients: WsTestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await t?.close();
    t = undefined;
  });

  async function start(): Promise<{ url: string; tokens: TokenService }> {
    t = await startApp(adapter, { imports: [wsAppModule()] }, (app) => {
      app.useWebSocketAdapter(new IoAdapter(app));
    });
    return { url: t.url, tokens: t.app.get(TokenService) };
  }

  async function connect(url: string, auth: unknown, transports?: ('websocket' | 'polling')[]): Promise<WsTestClient> {
    const client = await connectIo(url, { auth, transports });
    clients.push(client);
    return client;
  }

  it('io(url, { auth: { token } }) and { auth: { authorization } } authenticate, over websocket and polling', async () => {
    const { url, tokens } = await start();
    const token = tokens.createAccessToken({ id: 31 });
    for (const transports of [['websocket'], ['polling']] as const) {
      const byToken = await connect(url, { token }, [...transports]);
      expect(await byToken.call('whoami')).toEqual({ event: 'whoami', data: { userId: '31', user: '31', service: '31', echo: {} } });
      const byHeader = await connect(url, { authorization: `Bearer ${token}` }, [...transports]);
      expect(await byHeader.call('whoami')).toMatchObject({ data: { userId: '31' } });
    }
  });

  it('a malformed auth payload (number, object, array, empty, both keys) is 401 token_malformed, closed; @Public() still answers', async () => {
    const { url, tokens } = await start();
    const token = tokens.createAccessToken({ id: 32 });
    for (const auth of [
      { token: 12345 },
      { token: { token } },
      { token: [token] },
      { token: '' },
      { authorization: 7 },
      { token, authorization: `Bearer ${token}` },
    ]) {
      const client = await connect(url, auth);
      expect(await client.call('ping'), JSON.stringify(auth)).toEqual({ event: 'pong', data: { userId: null } });
      expect(await client.call('whoami'), JSON.stringify(auth)).toEqual(refusal('token_malformed', 401));
      expect(await client.closed).toBe('io server disconnect');
    }
    const fine = await connect(url, { token });
    expect(await fine.call('whoami')).toMatchObject({ data: { userId: '32' } });
  });

  it('the token in both the Authorization header and the auth payload is 400 invalid_request (a credential sent twice)', async () => {
    const { url, tokens } = await start();
    const token = tokens.createAccessToken({ id: 33 });
    const client = await connectIo(url, { auth: { token }, headers: { authorization: `Bearer ${token}` } });
    clients.push(client);
    expect(await client.call('whoami')).toEqual(refusal('invalid_request', 400));
  });

  it('an acknowledged message that is refused: the ack receives the error body (after the exception event)', async () => {
    const { url } = await start();
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const exceptions: unknown[] = [];
    socket.on('exception', (body) => exceptions.push(body));
    const acked: unknown = await socket.timeout(3000).emitWithAck('ack', {});
    expect(acked).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String), code: 'credentials_missing' });
    expect(exceptions).toEqual([acked]);
    socket.disconnect();
  });
});
