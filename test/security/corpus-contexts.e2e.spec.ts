import { validateHeaderValue } from 'node:http';
import { Module } from '@nestjs/common';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth, AuthContext, AuthModule, type RequestContext } from '../../src/index.js';
import { connectWs, refusal } from '../contexts/ws-fixtures.js';
import { startApp, type TestApp } from '../utils/app.js';
import { JWT_ROUTES } from './corpus-app.js';
import { corpusRows, type CorpusRow } from './corpus-rows.js';

/**
 * Issue 16, proof: the attack corpus's token rows (one `Authorization` header on a JWT route)
 * through a GraphQL query (Mercurius on Fastify) and a WebSocket message (the ws adapter on
 * Express), each handler behind the same backend as its HTTP route. Every row must get the
 * HTTP row's answer: the same code and status, or the caller's id for a control row.
 */
const { '/hs': hs, '/rs': rs, '/mixed': mixed, '/es': es, '/ed': ed, '/claims': claimed, '/leeway': lenient } = JWT_ROUTES;

type Route = keyof typeof JWT_ROUTES;
const sendable = (value: string): boolean => {
  try {
    validateHeaderValue('authorization', value);
    return true;
  } catch {
    return false;
  }
};
const rows = corpusRows().filter(
  (row): row is CorpusRow & { path: Route } =>
    (row.method ?? 'GET') === 'GET' &&
    row.path in JWT_ROUTES &&
    row.headers.length === 2 &&
    row.headers[0]!.toLowerCase() === 'authorization' &&
    sendable(row.headers[1]!),
);
/** `/claims` → `claims`: the query field and the WebSocket message of each route. */
const nameOf = (path: Route): string => path.slice(1);

@Resolver()
class CorpusResolver {
  @Query(() => String) hs(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
  @Auth({ authentication: [rs] }) @Query(() => String) rs(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
  @Auth({ authentication: [mixed] }) @Query(() => String) mixed(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
  @Auth({ authentication: [es] }) @Query(() => String) es(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
  @Auth({ authentication: [ed] }) @Query(() => String) ed(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
  @Auth({ authentication: [claimed] }) @Query(() => String) claims(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
  @Auth({ authentication: [lenient] }) @Query(() => String) leeway(@AuthContext() c: RequestContext): string {
    return c.userId!;
  }
}

interface Reply {
  event: string;
  data: string | null;
}

@WebSocketGateway()
class CorpusGateway {
  @SubscribeMessage('hs') hs(@AuthContext() c: RequestContext): Reply {
    return { event: 'hs', data: c.userId };
  }
  @Auth({ authentication: [rs] }) @SubscribeMessage('rs') rs(@AuthContext() c: RequestContext): Reply {
    return { event: 'rs', data: c.userId };
  }
  @Auth({ authentication: [mixed] }) @SubscribeMessage('mixed') mixed(@AuthContext() c: RequestContext): Reply {
    return { event: 'mixed', data: c.userId };
  }
  @Auth({ authentication: [es] }) @SubscribeMessage('es') es(@AuthContext() c: RequestContext): Reply {
    return { event: 'es', data: c.userId };
  }
  @Auth({ authentication: [ed] }) @SubscribeMessage('ed') ed(@AuthContext() c: RequestContext): Reply {
    return { event: 'ed', data: c.userId };
  }
  @Auth({ authentication: [claimed] }) @SubscribeMessage('claims') claims(@AuthContext() c: RequestContext): Reply {
    return { event: 'claims', data: c.userId };
  }
  @Auth({ authentication: [lenient] }) @SubscribeMessage('leeway') leeway(@AuthContext() c: RequestContext): Reply {
    return { event: 'leeway', data: c.userId };
  }
}

const auth = AuthModule.forRoot({ authentication: [hs] });

describe('the attack corpus', () => {
  it('has at least 80 token rows to run outside HTTP, controls among them, on every JWT route', () => {
    expect(rows.length).toBeGreaterThanOrEqual(80);
    expect(rows.filter((row) => row.expect.status === 200).length).toBeGreaterThanOrEqual(10);
    expect(new Set(rows.map((row) => row.path))).toEqual(new Set(Object.keys(JWT_ROUTES)));
  });
});

describe('attack corpus through GraphQL (Mercurius on Fastify)', () => {
  @Module({
    imports: [auth, GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, graphiql: false })],
    providers: [CorpusResolver],
  })
  class GraphqlCorpusModule {}

  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('fastify', { imports: [GraphqlCorpusModule] });
  });
  afterAll(() => t.close());

  it.each(rows)('$name ($source)', async (row) => {
    const field = nameOf(row.path);
    const response = await t.http
      .post('/graphql')
      .set('content-type', 'application/json')
      .set(row.headers[0]!, row.headers[1]!)
      .send({ query: `{ ${field} }` });
    const body = response.body as { data?: Record<string, unknown> | null; errors?: { extensions?: Record<string, unknown> }[] };
    // Refused by Node's HTTP server before any handler runs, on every transport.
    if (row.expect.status === 431) return expect(response.status).toBe(431);
    if (row.expect.status === 200) {
      expect(body, JSON.stringify(body)).toEqual({ data: { [field]: expect.any(String) } });
      return;
    }
    // A non-null field refused: no data, one error carrying our code, and our status on the response.
    expect(body.data ?? null, JSON.stringify(body)).toBeNull();
    expect(body.errors, JSON.stringify(body)).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({ code: row.expect.code, status: row.expect.status });
    expect(response.status).toBe(row.expect.status);
  });
});

describe('attack corpus through a WebSocket gateway (ws adapter on Express)', () => {
  @Module({ imports: [auth], providers: [CorpusGateway] })
  class WsCorpusModule {}

  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('express', { imports: [WsCorpusModule] }, (app) => {
      app.useWebSocketAdapter(new WsAdapter(app));
    });
  });
  afterAll(() => t.close());

  it.each(rows)('$name ($source)', async (row) => {
    const message = nameOf(row.path);
    // Refused by Node's HTTP server before any handler runs: the handshake itself fails.
    if (row.expect.status === 431)
      return expect(connectWs(t.url, { headers: { [row.headers[0]!]: row.headers[1]! } })).rejects.toThrow(/431/);
    const client = await connectWs(t.url, { headers: { [row.headers[0]!]: row.headers[1]! } });
    try {
      const answer = await client.call(message);
      if (row.expect.status === 200) expect(answer).toEqual({ event: message, data: expect.any(String) });
      else expect(answer).toEqual(refusal(row.expect.code!, row.expect.status));
    } finally {
      client.close();
    }
  });
});
