import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { Injectable } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import type { Request, Response } from 'express';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { appModule, AuditService, bearer, codes, Events, type GraphqlBody } from './graphql-fixtures.js';

/**
 * Issue 16, item 1: the Apollo driver on Express. `@nestjs/apollo` mounts Apollo on Express
 * with `@as-integrations/express5`, which is not installed in this repository, so this test
 * driver mounts it the way that package does (`executeHTTPGraphQLRequest`, the driver's own
 * context function called with `{ req, res }`): the context resolvers see is the driver's.
 */
@Injectable()
class ApolloExpressDriver extends ApolloDriver {
  protected override async registerExpress(options: ApolloDriverConfig): Promise<void> {
    const app = this.httpAdapterHost.httpAdapter.getInstance<{
      post: (path: string, handler: (req: Request, res: Response) => void) => void;
    }>();
    const { plugins, ...rest } = options as ApolloDriverConfig & { plugins?: never[] };
    const server = new ApolloServer<BaseContext>({ ...(rest as object), schema: options.schema!, plugins: plugins ?? [] });
    await server.start();
    const context = options.context as (arg: { req: Request; res: Response }) => Promise<BaseContext>;
    app.post(options.path ?? '/graphql', (req, res) => {
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      void server
        .executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method, headers, search: '', body: req.body as unknown },
          context: () => context({ req, res }),
        })
        .then((result) => {
          for (const [name, value] of result.headers) res.setHeader(name, value);
          res.status(result.status ?? 200).send(result.body.kind === 'complete' ? result.body.string : '');
        });
    });
    this.apolloServer = server;
  }
}

describe('GraphQL, Apollo driver on Express', () => {
  let t: TestApp | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.dispose();
    await t?.close();
    t = client = undefined;
  });

  async function start(): Promise<TestApp> {
    const graphql = GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloExpressDriver,
      autoSchemaFile: true,
      graphiql: false,
      subscriptions: { 'graphql-ws': true },
    });
    t = await startApp('express', { imports: [appModule(graphql)] });
    return t;
  }

  async function gql(query: string, authorization?: string): Promise<GraphqlBody> {
    const request = t!.http.post('/graphql').set('content-type', 'application/json');
    if (authorization !== undefined) request.set('authorization', authorization);
    return (await request.send({ query })).body as GraphqlBody;
  }

  it('anonymous, forged, valid: codes in extensions; decorators and AuthContextService see the caller', async () => {
    await start();
    const anonymous = await gql('{ secret }');
    expect(anonymous.data).toEqual({ secret: null });
    expect(anonymous.errors![0]!.extensions).toMatchObject({ code: 'credentials_missing', status: 401 });
    expect(codes(await gql('{ secret }', `Bearer ${hs(claims(), 'x'.repeat(32))}`))).toEqual({ secret: 'token_invalid' });
    expect(await gql('{ secret me whoAmI }', bearer())).toEqual({ data: { secret: 'secret for 42', me: 'user 42', whoAmI: 'audited 42' } });
    expect(await gql('{ a: publicContext b: secret }', bearer())).toEqual({ data: { a: 'backend null', b: 'secret for 42' } });
  });

  it('@Permissions() on a mutation: permission_denied and no side effect; allowed with the permission', async () => {
    await start();
    expect(codes(await gql('mutation { deletePost(id: "1") }', bearer()))).toEqual({ deletePost: 'permission_denied' });
    expect(t!.app.get(AuditService).deleted).toEqual([]);
    expect(await gql('mutation { deletePost(id: "2") }', bearer({ permissions: ['posts:delete'] }))).toEqual({
      data: { deletePost: true },
    });
    expect(t!.app.get(AuditService).deleted).toEqual(['2']);
  });

  it('subscriptions: a token in connection_init is honoured, none closes the connection 4401 credentials_missing', async () => {
    await start();
    const events = t!.app.get(Events);
    const run = (params?: Record<string, unknown>) => {
      const seen = { values: [] as unknown[], closed: [] as { code: number; reason: string }[] };
      client = createClient({
        url: `${t!.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: params,
        retryAttempts: 0,
        on: { closed: (event) => seen.closed.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
      });
      client.subscribe(
        { query: 'subscription { ticks }' },
        { next: (value) => seen.values.push(value.data), error: () => undefined, complete: () => undefined },
      );
      return seen;
    };
    const refused = run();
    await vi.waitFor(() => expect(refused.closed).toEqual([{ code: 4401, reason: 'credentials_missing' }]), { timeout: 3000 });
    await client!.dispose();
    const allowed = run({ Authorization: bearer() });
    await vi.waitFor(() => expect(events.listeners('tick')).toBe(1), { timeout: 3000 });
    events.publish('tick', 'x');
    await vi.waitFor(() => expect(allowed.values).toEqual([{ ticks: 'x' }]));
  });
});
