import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { createClient, type Client } from 'graphql-ws';
import { TokenService, withCredentials } from 'nestjs-warden';
import { firstValueFrom } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { AppModule } from '../../sample/src/app.module.js';
import { connectReportsService } from '../../sample/src/microservice/reports.microservice.js';
import { SecurityCounters } from '../../sample/src/observability/security-counters.js';
import { configureSample } from '../../sample/src/setup.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

/**
 * Issues 16 and 17: the sample's roles, GraphQL, socket.io gateway, TCP microservice and
 * AuthEvents subscriber, end to end as a client sees them, the app built as main.ts builds it
 * (sessions, the hybrid microservice). main.ts runs on Express; every feature also works on
 * Fastify (Apollo through @as-integrations/fastify), so both run. Tokens come from POST /auth/login.
 */
const FORGED = `Bearer ${hs(claims({ sub: '1', roles: ['admin', 'clerk'], permissions: ['reports:read', 'reports:write'] }), 'f'.repeat(48))}`;

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; status?: number } }>;
}

describe.each(ADAPTERS)('the sample app: roles, GraphQL, socket.io, microservice, events (%s)', (adapter) => {
  let t: TestApp;
  let microservicePort: number;
  const cleanups: Array<() => unknown> = [];

  beforeAll(async () => {
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      await configureSample(app);
      microservicePort = await connectReportsService(app);
    });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await t.close();
  });

  const login = async (username: string): Promise<{ access_token: string; refresh_token: string }> => {
    const res = await t.http.post('/auth/login').send({ username, password: `${username}-password` });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const bearer = async (username: string): Promise<string> => `Bearer ${(await login(username)).access_token}`;

  describe('roles', () => {
    it('login issues the user roles in the token (roles claim from AuthUser.roles)', async () => {
      const payload = (token: string): Record<string, unknown> =>
        JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(payload((await login('alice')).access_token).roles).toEqual(['admin']);
      expect(payload((await login('bob')).access_token).roles).toEqual(['clerk']);
      expect(payload((await login('carol')).access_token).roles).toEqual([]);
    });

    it('GET /orders (@Roles clerk): anonymous 401, bob 200, carol and alice 403 permission_denied, forged 401', async () => {
      const anonymous = await t.http.get('/orders');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('credentials_missing');
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
      const bob = await t.http.get('/orders').set('authorization', await bearer('bob'));
      expect(bob.status).toBe(200);
      expect(bob.body).toEqual({ orders: ['order-1', 'order-2'], for: '2' });
      for (const user of ['carol', 'alice']) {
        const denied = await t.http.get('/orders').set('authorization', await bearer(user));
        expect(denied.status, user).toBe(403);
        expect(denied.body, user).toMatchObject({ statusCode: 403, code: 'permission_denied' });
      }
      const forged = await t.http.get('/orders').set('authorization', FORGED);
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('token_invalid');
    });

    it('DELETE /orders/:id (HasAnyRole admin, manager): alice 200, bob 403', async () => {
      const alice = await t.http.delete('/orders/7').set('authorization', await bearer('alice'));
      expect(alice.status).toBe(200);
      expect(alice.body).toEqual({ deleted: '7' });
      const bob = await t.http.delete('/orders/7').set('authorization', await bearer('bob'));
      expect(bob.status).toBe(403);
      expect(bob.body.code).toBe('permission_denied');
      expect((await t.http.delete('/orders/7')).body.code).toBe('credentials_missing');
    });

    it('GET /orders/ledger (UserPassesTest on the stored user): the store wins over what a validly signed token claims', async () => {
      expect((await t.http.get('/orders/ledger').set('authorization', await bearer('alice'))).body).toEqual({ ledger: 'balanced' });
      expect((await t.http.get('/orders/ledger').set('authorization', await bearer('bob'))).body.code).toBe('permission_denied');
      expect((await t.http.get('/orders/ledger')).body.code).toBe('credentials_missing');
      const tokens = t.app.get(TokenService);
      // Signed by the app itself, saying bob is staff: the user store says he is not.
      const bobAsStaff = await tokens.createAccessToken({ id: 2, username: 'bob', isStaff: true, roles: ['clerk'] });
      const claimed = await t.http.get('/orders/ledger').set('authorization', `Bearer ${bobAsStaff}`);
      expect(claimed.status).toBe(403);
      expect(claimed.body.code).toBe('permission_denied');
      // A user who no longer exists: 401 user_inactive, never the predicate's crash.
      const ghost = await tokens.createAccessToken({ id: 99, isStaff: true });
      const gone = await t.http.get('/orders/ledger').set('authorization', `Bearer ${ghost}`);
      expect(gone.status).toBe(401);
      expect(gone.body.code).toBe('user_inactive');
    });
  });

  describe('GraphQL over HTTP (Apollo) with a token from /auth/login', () => {
    async function gql(query: string, authorization?: string, variables?: Record<string, unknown>): Promise<GraphqlBody> {
      const req = t.http.post('/graphql').set('content-type', 'application/json');
      if (authorization !== undefined) req.set('authorization', authorization);
      const res = await req.send({ query, variables });
      expect(res.status).toBe(200);
      return res.body as GraphqlBody;
    }
    const FILE = 'mutation ($title: String!) { fileReport(title: $title) { id title by } }';

    it('{ hello } is public; { whoami } needs a token: null with credentials_missing, the public field still answered', async () => {
      expect(await gql('{ hello }')).toEqual({ data: { hello: 'Hello, anyone' } });
      const anonymous = await gql('{ hello whoami { userId } }');
      expect(anonymous.data).toEqual({ hello: 'Hello, anyone', whoami: null });
      expect(anonymous.errors).toHaveLength(1);
      expect(anonymous.errors![0]).toMatchObject({ path: ['whoami'], extensions: { code: 'credentials_missing', status: 401 } });
      const forged = await gql('{ whoami { userId } }', FORGED);
      expect(forged.data).toEqual({ whoami: null });
      expect(forged.errors![0]!.extensions).toMatchObject({ code: 'token_invalid', status: 401 });
    });

    it('{ whoami } reads @AuthContext(): the caller, roles and permissions from the token', async () => {
      expect(await gql('{ whoami { userId roles permissions } }', await bearer('bob'))).toEqual({
        data: { whoami: { userId: '2', roles: ['clerk'], permissions: ['reports:read'] } },
      });
    });

    it('fileReport (@Permissions reports:write): alice files it; bob and anonymous are refused (it does not run)', async () => {
      const bob = await gql(FILE, await bearer('bob'), { title: 'from bob' });
      expect(bob.data).toBeNull();
      expect(bob.errors![0]!.extensions).toMatchObject({ code: 'permission_denied', status: 403 });
      expect((await gql(FILE, undefined, { title: 'anonymous' })).errors![0]!.extensions).toMatchObject({ code: 'credentials_missing' });
      const alice = await gql(FILE, await bearer('alice'), { title: 'Q3' });
      expect(alice.errors).toBeUndefined();
      expect(alice.data!.fileReport).toMatchObject({ title: 'Q3', by: '1' });
    });

    it('reportFiled over graphql-ws: bob receives what alice files; anonymous closed 4401; carol refused permission_denied', async () => {
      const url = `${t.url.replace('http', 'ws')}/graphql`;
      const subscribe = (params: Record<string, unknown> | undefined) => {
        const run = { values: [] as unknown[], errors: [] as Array<{ extensions?: { code?: string } }>, closed: [] as string[] };
        const client: Client = createClient({
          url,
          webSocketImpl: WebSocket,
          connectionParams: params,
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined,
          on: { closed: (event) => run.closed.push(`${(event as CloseEvent).code} ${(event as CloseEvent).reason}`) },
        });
        cleanups.push(() => client.dispose());
        client.subscribe(
          { query: 'subscription { reportFiled { title by } }' },
          {
            next: (value) => (value.errors ? run.errors.push(...(value.errors as never[])) : run.values.push(value.data)),
            error: (error) => (Array.isArray(error) ? run.errors.push(...(error as never[])) : undefined),
            complete: () => undefined,
          },
        );
        return run;
      };
      const bob = subscribe({ authorization: await bearer('bob') });
      const anonymous = subscribe(undefined);
      const carol = subscribe({ authorization: await bearer('carol') });
      await vi.waitFor(() => expect(anonymous.closed).toEqual(['4401 credentials_missing']), { timeout: 5000 });
      await vi.waitFor(() => expect(carol.errors[0]?.extensions?.code).toBe('permission_denied'), { timeout: 5000 });
      // Filing again until bob's subscription is live (it starts asynchronously after connection_init).
      const alice = await bearer('alice');
      await vi.waitFor(
        async () => {
          await gql(FILE, alice, { title: 'live' });
          expect(bob.values.length).toBeGreaterThan(0);
        },
        { timeout: 5000, interval: 100 },
      );
      expect(bob.values[0]).toEqual({ reportFiled: { title: 'live', by: '1' } });
      expect(bob.errors).toEqual([]);
      expect(carol.values).toEqual([]);
    });
  });

  describe('socket.io gateway on the same HTTP server', () => {
    function connect(auth?: Record<string, unknown>): Socket {
      const socket = io(t.url, { auth, transports: ['websocket'], forceNew: true, reconnection: false });
      cleanups.push(() => socket.close());
      return socket;
    }
    /** Emits `event` and resolves with the first `answer` or `exception` event. */
    function call(socket: Socket, event: string, answer: string): Promise<{ event: string; data: unknown }> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), 5000);
        const done = (name: string) => (data: unknown) => {
          clearTimeout(timer);
          socket.off(answer).off('exception');
          resolve({ event: name, data });
        };
        socket.once(answer, done(answer)).once('exception', done('exception'));
        socket.emit(event, {});
      });
    }

    it('ping is public; whoami needs the token from the handshake (auth: { token })', async () => {
      const anonymous = connect();
      expect(await call(anonymous, 'ping', 'pong')).toEqual({ event: 'pong', data: 'pong' });
      expect(await call(anonymous, 'whoami', 'whoami')).toEqual({
        event: 'exception',
        data: expect.objectContaining({ statusCode: 401, code: 'credentials_missing' }) as unknown,
      });
      const bob = connect({ token: (await login('bob')).access_token });
      expect(await call(bob, 'whoami', 'whoami')).toEqual({ event: 'whoami', data: { userId: '2', roles: ['clerk'] } });
      const forged = connect({ token: FORGED.slice('Bearer '.length) });
      expect(await call(forged, 'whoami', 'whoami')).toMatchObject({ event: 'exception', data: { code: 'token_invalid' } });
    });

    it('a token revoked during the connection (POST /auth/logout) is refused at the next message, and the socket closed', async () => {
      const { access_token } = await login('bob');
      const socket = connect({ token: access_token });
      expect(await call(socket, 'whoami', 'whoami')).toMatchObject({ event: 'whoami' });
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      expect((await t.http.post('/auth/logout').set('authorization', `Bearer ${access_token}`)).status).toBe(200);
      expect(await call(socket, 'whoami', 'whoami')).toMatchObject({
        event: 'exception',
        data: { statusCode: 401, code: 'token_revoked' },
      });
      expect(await disconnected).toBe('io server disconnect');
    });
  });

  describe('TCP microservice (hybrid, inheritAppConfig)', () => {
    let client: ClientProxy;
    beforeAll(async () => {
      client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: microservicePort } });
      await client.connect();
      cleanups.push(() => client.close());
    });
    const send = (data: unknown): Promise<unknown> =>
      firstValueFrom(client.send('reports.get', data)).then(
        (value: unknown) => ({ value }),
        (error: unknown) => ({ error }),
      );

    it('reports.get (@Permissions reports:read) with withCredentials: bob answered; carol 403; no envelope 401; forged 401', async () => {
      expect(await send(withCredentials({ id: '7' }, await bearer('bob')))).toEqual({ value: { id: '7', title: 'Report 7', for: '2' } });
      expect(await send(withCredentials({ id: '7' }, await bearer('carol')))).toEqual({
        error: { statusCode: 403, error: 'Forbidden', message: expect.any(String) as string, code: 'permission_denied' },
      });
      // A token inside the payload rather than the envelope is not a credential.
      expect(await send({ id: '7', authorization: await bearer('bob') })).toMatchObject({
        error: { statusCode: 401, code: 'credentials_missing' },
      });
      expect(await send(withCredentials({ id: '7' }, FORGED))).toMatchObject({ error: { statusCode: 401, code: 'token_invalid' } });
    });

    it("GET /remote/reports/:id forwards the caller's token: bob 200, carol 403 from the microservice, anonymous 401", async () => {
      const bob = await t.http.get('/remote/reports/9').set('authorization', await bearer('bob'));
      expect(bob.status).toBe(200);
      expect(bob.body).toEqual({ id: '9', title: 'Report 9', for: '2' });
      const carol = await t.http.get('/remote/reports/9').set('authorization', await bearer('carol'));
      expect(carol.status).toBe(403);
      expect(carol.body).toMatchObject({ statusCode: 403, code: 'permission_denied' });
      expect((await t.http.get('/remote/reports/9')).body.code).toBe('credentials_missing');
    });

    it('a session login (no bearer to forward) reaches the microservice anonymous: 401 credentials_missing, not a 500', async () => {
      const agent = (await import('supertest')).default.agent(t.url);
      expect((await agent.post('/session/login').send({ username: 'bob', password: 'bob-password' })).status).toBe(200);
      const res = await agent.get('/remote/reports/9');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('credentials_missing');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    });
  });

  describe('observability: SecurityCounters (an AuthEvents subscriber)', () => {
    it('counts refresh.reused and refusals, and logs the counts without any token', async () => {
      const counters = t.app.get(SecurityCounters);
      const lines: string[] = [];
      const capture = (message: unknown): void => void lines.push(String(message));
      const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(capture);
      const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(capture);
      cleanups.push(() => {
        warn.mockRestore();
        log.mockRestore();
      });
      counters.logSummary(); // start from an empty summary
      lines.length = 0;
      const before = counters.totals;

      const pair = await login('bob');
      expect((await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(200);
      const replay = await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
      expect(replay.body.code).toBe('token_reused');
      expect((await t.http.get('/me')).status).toBe(401);
      expect((await t.http.get('/me').set('authorization', FORGED)).status).toBe(401);
      expect((await t.http.get('/orders').set('authorization', await bearer('carol'))).status).toBe(403);

      expect(counters.totals).toEqual({
        'refresh.reused': before['refresh.reused'] + 1,
        'auth.refused': before['auth.refused'] + 3, // token_reused, credentials_missing, token_invalid
        'permission.denied': before['permission.denied'] + 1,
      });
      counters.logSummary();
      const summary = lines.find((line) => line.startsWith('auth.refused'));
      expect(summary).toMatch(/token_reused: 1, credentials_missing: 1, token_invalid: 1, permission_denied: 1$/);
      expect(lines.some((line) => /^refresh\.reused \d+ since start-up: login \S+ of user 2 revoked$/.test(line))).toBe(true);
      for (const secret of [pair.access_token, pair.refresh_token, FORGED.slice(7), 'bob-password']) {
        expect(lines.join('\n')).not.toContain(secret);
      }
    });
  });
});
