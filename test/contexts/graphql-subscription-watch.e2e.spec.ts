import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { Auth, AuthenticatedWithin, Public, UserPassesTest } from '../../src/index.js';
import { MAX_SUBSCRIPTIONS } from '../../src/contexts/graphql-subscription.js';
import { startApp, type TestApp } from '../utils/app.js';
import { now } from '../utils/tokens.js';
import { appModule, bearer, Events } from './graphql-fixtures.js';

/**
 * Review findings 2 and 5 (GraphQL part): a watched subscription is one operation of its
 * connection. It is re-checked before its own events only, forgotten when it completes, and
 * never evicted while it runs: past the per-connection cap a new subscription is refused
 * instead. A step-up refusal (`insufficient_user_authentication`) refuses the operation only.
 */
const state = { allowed: true };

@Resolver()
class WatchResolver {
  constructor(private readonly events: Events) {}

  @Public()
  @Query(() => String)
  ping(): string {
    return 'pong';
  }

  @Auth({ guards: [UserPassesTest(() => state.allowed)] })
  @Subscription(() => String)
  gated(): AsyncIterableIterator<unknown> {
    return this.events.iterator('gated', 'gated');
  }

  @Subscription(() => String)
  plain(): AsyncIterableIterator<unknown> {
    return this.events.iterator('plain', 'plain');
  }

  @Auth({ guards: [AuthenticatedWithin(60)] })
  @Subscription(() => String)
  recent(): AsyncIterableIterator<unknown> {
    return this.events.iterator('recent', 'recent');
  }
}

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
  codes: (string | undefined)[];
  stop: () => void;
}

describe.each(Object.keys(DRIVERS) as (keyof typeof DRIVERS)[])(
  'GraphQL subscriptions watched one by one, %s driver on Fastify',
  (driver) => {
    let t: TestApp | undefined;
    let clients: Client[] = [];
    afterEach(async () => {
      state.allowed = true;
      await Promise.all(clients.map((client) => client.dispose()));
      clients = [];
      await t?.close();
      t = undefined;
    });

    async function start(): Promise<Events> {
      t = await startApp('fastify', { imports: [appModule(DRIVERS[driver](), [WatchResolver])] });
      return t.app.get(Events);
    }

    /** One connection (kept open when its subscriptions end: any close seen is the server's). */
    function connect(authorization = bearer()): { closed: { code: number; reason: string }[]; subscribe: (query: string) => Run } {
      const closed: { code: number; reason: string }[] = [];
      const client = createClient({
        url: `${t!.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined,
        on: { closed: (event) => closed.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
      });
      clients.push(client);
      const subscribe = (query: string): Run => {
        const run: Run = { values: [], codes: [], stop: () => undefined };
        run.stop = client.subscribe(
          { query },
          {
            next: (value) => {
              if (value.errors !== undefined) run.codes.push(...value.errors.map((error) => error.extensions?.code as string | undefined));
              else run.values.push(value.data);
            },
            error: (error) => {
              if (Array.isArray(error)) run.codes.push(...error.map((item: { extensions?: { code?: string } }) => item.extensions?.code));
            },
            complete: () => undefined,
          },
        );
        return run;
      };
      return { closed, subscribe };
    }

    const listening = (events: Events, topic: string, count = 1) =>
      vi.waitFor(() => expect(events.listeners(topic)).toBe(count), { timeout: 5000, interval: 10 });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

    it('a completed subscription is no longer re-checked: its siblings keep their events', async () => {
      const events = await start();
      const connection = connect();
      const gated = connection.subscribe('subscription { gated }');
      await listening(events, 'gated');
      gated.stop();
      await listening(events, 'gated', 0);
      const plain = connection.subscribe('subscription { plain }');
      await listening(events, 'plain');
      state.allowed = false;
      events.publish('plain', 'p1');
      await vi.waitFor(() => expect(plain.values).toEqual([{ plain: 'p1' }]));
      await settle();
      expect(connection.closed).toEqual([]);
    });

    it("each event re-checks its own subscription only: a sibling's refusal does not hold back another's events", async () => {
      const events = await start();
      const connection = connect();
      const gated = connection.subscribe('subscription { gated }');
      await listening(events, 'gated');
      const plain = connection.subscribe('subscription { plain }');
      await listening(events, 'plain');
      state.allowed = false;
      events.publish('plain', 'p1');
      await vi.waitFor(() => expect(plain.values).toEqual([{ plain: 'p1' }]));
      await settle();
      expect(connection.closed).toEqual([]);
      // Its own event is re-checked and refused: not delivered, the connection closes with the code.
      events.publish('gated', 'g1');
      await vi.waitFor(() => expect(connection.closed).toEqual([{ code: 4403, reason: 'permission_denied' }]), { timeout: 3000 });
      expect(gated.values).toEqual([]);
    });

    it(`past ${MAX_SUBSCRIPTIONS} running subscriptions a new one is refused, never an older one evicted (which would skip its re-check)`, async () => {
      const events = await start();
      const connection = connect();
      const gated = connection.subscribe('subscription { gated }');
      await listening(events, 'gated');
      const extra = Array.from({ length: MAX_SUBSCRIPTIONS }, () => connection.subscribe('subscription { plain }'));
      await listening(events, 'plain', MAX_SUBSCRIPTIONS - 1);
      await vi.waitFor(() => expect(extra.flatMap((run) => run.codes)).toEqual(['permission_denied']));
      await settle();
      expect(events.listeners('plain')).toBe(MAX_SUBSCRIPTIONS - 1);
      expect(connection.closed).toEqual([]);
      // The first subscription is still watched: once its test fails, its event is not delivered.
      state.allowed = false;
      events.publish('gated', 'after');
      await vi.waitFor(() => expect(connection.closed).toEqual([{ code: 4403, reason: 'permission_denied' }]), { timeout: 3000 });
      expect(gated.values).toEqual([]);
    });

    it('subscriptions sent at the same instant: each is still re-checked before its own events (fail closed)', async () => {
      const events = await start();
      const connection = connect();
      const plains = [connection.subscribe('subscription { plain }'), connection.subscribe('subscription { plain }')];
      const gated = connection.subscribe('subscription { gated }');
      plains.push(connection.subscribe('subscription { plain }'));
      await listening(events, 'gated');
      await listening(events, 'plain', 3);
      events.publish('gated', 'before');
      await vi.waitFor(() => expect(gated.values).toEqual([{ gated: 'before' }]));
      state.allowed = false;
      events.publish('gated', 'after');
      await vi.waitFor(() => expect(connection.closed).toEqual([{ code: 4403, reason: 'permission_denied' }]), { timeout: 3000 });
      expect(gated.values).toEqual([{ gated: 'before' }]);
    });

    it('completed subscriptions free their place: a connection may subscribe again and again', async () => {
      const events = await start();
      const connection = connect();
      for (let round = 0; round < 3; round++) {
        const runs = Array.from({ length: MAX_SUBSCRIPTIONS }, () => connection.subscribe('subscription { plain }'));
        await listening(events, 'plain', MAX_SUBSCRIPTIONS);
        for (const run of runs) run.stop();
        await listening(events, 'plain', 0);
        expect(runs.flatMap((run) => run.codes)).toEqual([]);
      }
      const last = connection.subscribe('subscription { plain }');
      await listening(events, 'plain');
      events.publish('plain', 'p');
      await vi.waitFor(() => expect(last.values).toEqual([{ plain: 'p' }]));
      expect(connection.closed).toEqual([]);
    });

    it('a step-up refusal (insufficient_user_authentication) refuses the operation, not the connection', async () => {
      const events = await start();
      const connection = connect(bearer({ auth_time: now() - 3600 }));
      const recent = connection.subscribe('subscription { recent }');
      await vi.waitFor(() => expect(recent.codes).toEqual(['insufficient_user_authentication']), { timeout: 3000 });
      await settle();
      expect(connection.closed).toEqual([]);
      expect(events.listeners('recent')).toBe(0);
      const plain = connection.subscribe('subscription { plain }');
      await listening(events, 'plain');
      events.publish('plain', 'still open');
      await vi.waitFor(() => expect(plain.values).toEqual([{ plain: 'still open' }]));
      expect(connection.closed).toEqual([]);
    });
  },
);
