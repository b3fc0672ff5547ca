import { Module, type DynamicModule } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthModule, CurrentUser, JwtAuthentication, Permissions, type RequestContext } from '../../src/index.js';
import { startApp, type AdapterName, type TestApp } from '../utils/app.js';
import { bearer, codes, SECRET, type GraphqlBody } from './graphql-fixtures.js';

/**
 * Review finding 4: `request.user` is loaded at most once per request (API.md), and a GraphQL
 * request is one request however many fields it asks for: every resolver call has its own
 * carrier (its own `request.context`), but they share the load of the same identity.
 */
const users: Record<string, { id: string; permissions: string[] } | null> = {
  '42': { id: '42', permissions: ['notes:read'] },
  '7': null,
};
const loads: string[] = [];

@Resolver()
class UserResolver {
  @Query(() => String)
  me(@CurrentUser() user: { id: string }): string {
    return `user ${user.id}`;
  }

  @Permissions('notes:read')
  @Query(() => String)
  notes(): string {
    return 'notes';
  }
}

const DRIVERS: Record<string, { adapter: AdapterName; graphql: () => DynamicModule }> = {
  'apollo on express': {
    adapter: 'express',
    graphql: () => GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, graphiql: false }),
  },
  'apollo on fastify': {
    adapter: 'fastify',
    graphql: () => GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, graphiql: false }),
  },
  'mercurius on fastify': {
    adapter: 'fastify',
    graphql: () => GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, graphiql: false }),
  },
};

describe.each(Object.keys(DRIVERS))('GraphQL: one userLoader call per request, %s', (name) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    loads.length = 0;
    await t?.close();
    t = undefined;
  });

  async function start(permissionsFrom: 'token' | 'user'): Promise<void> {
    const { adapter, graphql } = DRIVERS[name]!;
    @Module({
      imports: [
        AuthModule.forRoot({
          authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
          permissionsFrom,
          userLoader: async (context: RequestContext) => {
            loads.push(context.userId!);
            await new Promise((resolve) => setTimeout(resolve, 5));
            return users[context.userId!] ?? null;
          },
        }),
        graphql(),
      ],
      providers: [UserResolver],
    })
    class UserLoaderModule {}
    t = await startApp(adapter, { imports: [UserLoaderModule] });
  }

  async function gql(query: string, authorization: string): Promise<GraphqlBody> {
    return (await t!.http.post('/graphql').set('content-type', 'application/json').set('authorization', authorization).send({ query }))
      .body as GraphqlBody;
  }

  const aliases = (field: string, count: number): string => Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ');

  it('200 @CurrentUser() fields in one query: the user is loaded once', async () => {
    await start('token');
    const body = await gql(`{ ${aliases('me', 200)} }`, bearer({ sub: '42' }));
    expect(body.errors).toBeUndefined();
    expect(Object.values(body.data!)).toEqual(Array.from({ length: 200 }, () => 'user 42'));
    expect(loads).toEqual(['42']);
    // The next request loads again: nothing is kept past a request.
    await gql('{ me }', bearer({ sub: '42' }));
    expect(loads).toEqual(['42', '42']);
  });

  it("permissionsFrom: 'user': 100 protected fields and 100 @CurrentUser() fields, one load", async () => {
    await start('user');
    const body = await gql(`{ ${aliases('notes', 100)} ${aliases('me', 100).replaceAll(/\ba(\d+):/g, 'm$1:')} }`, bearer({ sub: '42' }));
    expect(body.errors).toBeUndefined();
    expect(Object.values(body.data!).filter((value) => value === 'notes')).toHaveLength(100);
    expect(Object.values(body.data!).filter((value) => value === 'user 42')).toHaveLength(100);
    expect(loads).toEqual(['42']);
  });

  it('a user gone since the token was issued: the query is refused user_inactive, after one load', async () => {
    await start('user');
    const body = await gql(`{ ${aliases('notes', 50)} }`, bearer({ sub: '7' }));
    // The fields are non-null: graphql-js reports the first refusal and answers `data: null`.
    expect(body.data ?? null).toBeNull();
    expect(Object.values(codes(body)).length).toBeGreaterThan(0);
    expect(new Set(Object.values(codes(body)))).toEqual(new Set(['user_inactive']));
    expect(loads).toEqual(['7']);
  });
});
