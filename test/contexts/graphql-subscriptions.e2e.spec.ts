import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { TokenService } from '../../src/index.js';
import { startApp, type TestApp } from '../utils/app.js';
import { b64, claims, hs, now } from '../utils/tokens.js';
import { appModule, bearer, Events, SECRET } from './graphql-fixtures.js';

/**
 * Issue 16, item 1: subscriptions over `graphql-ws` (the graphql-transport-ws protocol), with
 * the `graphql-ws` client. The credential travels in the `connection_init` payload; a refused
 * credential closes the connection with our code as the close reason; a token that expires or
 * is revoked during a subscription closes it before the next event is delivered.
 */
const DRIVERS = {
  apollo: () =>
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      graphiql: false,
      subscriptions: { 'graphql-ws': true },
    }),
  mercurius: () =>
    GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, graphiql: false, subscription: true }),
};

interface Run {
  values: unknown[];
  errors: { extensions?: { code?: string } }[];
  closed: { code: number; reason: string }[];
}

describe.each(Object.keys(DRIVERS) as (keyof typeof DRIVERS)[])('GraphQL subscriptions over graphql-ws, %s driver on Fastify', (driver) => {
  let t: TestApp | undefined;
  let clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    clients = [];
    await t?.close();
    t = undefined;
  });

  async function start(): Promise<Events> {
    t = await startApp('fastify', { imports: [appModule(DRIVERS[driver]())] });
    return t.app.get(Events);
  }

  /** Subscribes with a fresh client whose connection_init payload is `params`. */
  function subscribe(query: string, params?: Record<string, unknown>): Run {
    const run: Run = { values: [], errors: [], closed: [] };
    const client = createClient({
      url: `${t!.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: params,
      retryAttempts: 0,
      // Kept open when its subscriptions end: any close seen here is the server's.
      lazy: false,
      onNonLazyError: () => undefined,
      on: { closed: (event) => run.closed.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
    });
    clients.push(client);
    client.subscribe(
      { query },
      {
        // graphql-ws sends a refused subscribe as one `next` result with `errors`, then `complete`.
        next: (value) => {
          if (value.errors !== undefined) run.errors.push(...(value.errors as unknown as Run['errors']));
          else run.values.push(value.data);
        },
        error: (error) => {
          if (Array.isArray(error)) run.errors.push(...(error as Run['errors']));
        },
        complete: () => undefined,
      },
    );
    return run;
  }

  const listening = (events: Events, topic: string, count = 1) =>
    vi.waitFor(() => expect(events.listeners(topic)).toBe(count), { timeout: 3000, interval: 10 });

  it('a token in the connection_init payload: events delivered; the same on a @Public() subscription without one', async () => {
    const events = await start();
    const run = subscribe('subscription { ticks }', { authorization: bearer() });
    const open = subscribe('subscription { publicTicks }');
    await listening(events, 'tick');
    await listening(events, 'public');
    events.publish('tick', 'one');
    events.publish('public', 'p');
    await vi.waitFor(() => expect(run.values).toEqual([{ ticks: 'one' }]));
    await vi.waitFor(() => expect(open.values).toEqual([{ publicTicks: 'p' }]));
    expect(run.closed).toEqual([]);
  });

  it.each([
    ['no credential', undefined, 'credentials_missing'],
    ['a forged token', { authorization: `Bearer ${hs(claims(), 'x'.repeat(32))}` }, 'token_invalid'],
    ['alg none', { authorization: `Bearer ${b64({ alg: 'none' })}.${b64(claims())}.` }, 'token_invalid'],
    ['an expired token', { authorization: `Bearer ${hs(claims({ iat: now() - 60, exp: now() - 5 }), SECRET)}` }, 'token_expired'],
  ])('%s: the protected subscription is refused and the connection closed 4401 with the code', async (_name, params, code) => {
    const events = await start();
    const run = subscribe('subscription { ticks }', params);
    await vi.waitFor(() => expect(run.closed).toEqual([{ code: 4401, reason: code }]), { timeout: 3000 });
    expect(events.listeners('tick')).toBe(0);
    events.publish('tick', 'never');
    expect(run.values).toEqual([]);
  });

  it('@Permissions() on a subscription: permission_denied for that operation, the connection stays open', async () => {
    const events = await start();
    const run = subscribe('subscription { adminTicks }', { authorization: bearer() });
    await vi.waitFor(() => expect(run.errors.map((error) => error.extensions?.code)).toEqual(['permission_denied']));
    expect(events.listeners('admin')).toBe(0);
    expect(run.closed).toEqual([]);
    const allowed = subscribe('subscription { adminTicks }', { authorization: bearer({ permissions: ['ticks:admin'] }) });
    await listening(events, 'admin');
    events.publish('admin', 'a');
    await vi.waitFor(() => expect(allowed.values).toEqual([{ adminTicks: 'a' }]));
  });

  it('a token revoked during the subscription: the next event is not delivered, the connection closes 4401 token_revoked', async () => {
    const events = await start();
    const tokens = t!.app.get(TokenService);
    const access = tokens.createAccessToken({ id: '42' });
    const run = subscribe('subscription { ticks }', { authorization: `Bearer ${access}` });
    await listening(events, 'tick');
    events.publish('tick', 'before');
    await vi.waitFor(() => expect(run.values).toEqual([{ ticks: 'before' }]));
    await tokens.revoke(access);
    events.publish('tick', 'after');
    await vi.waitFor(() => expect(run.closed).toEqual([{ code: 4401, reason: 'token_revoked' }]), { timeout: 3000 });
    expect(run.values).toEqual([{ ticks: 'before' }]);
  });

  it('a token that expires during an idle subscription: the connection closes 4401 token_expired at exp', async () => {
    const events = await start();
    const run = subscribe('subscription { ticks }', { authorization: `Bearer ${hs(claims({ exp: now() + 2 }), SECRET)}` });
    await listening(events, 'tick');
    events.publish('tick', 'live');
    await vi.waitFor(() => expect(run.values).toEqual([{ ticks: 'live' }]));
    await vi.waitFor(() => expect(run.closed).toEqual([{ code: 4401, reason: 'token_expired' }]), { timeout: 5000, interval: 50 });
  });

  it('cookies on the upgrade request are not a credential (cross-site WebSocket hijacking)', async () => {
    const events = await start();
    const access = t!.app.get(TokenService).createAccessToken({ id: '42' });
    const run: Run = { values: [], errors: [], closed: [] };
    const client = createClient({
      url: `${t!.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(url: string, protocols: string[]) {
          super(url, protocols, { headers: { cookie: `access_token=${access}`, origin: 'https://evil.example' } });
        }
      },
      retryAttempts: 0,
      on: { closed: (event) => run.closed.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
    });
    clients.push(client);
    client.subscribe(
      { query: 'subscription { ticks }' },
      { next: (value) => run.values.push(value), error: () => undefined, complete: () => undefined },
    );
    await vi.waitFor(() => expect(run.closed).toEqual([{ code: 4401, reason: 'credentials_missing' }]), { timeout: 3000 });
    expect(events.listeners('tick')).toBe(0);
  });
});
