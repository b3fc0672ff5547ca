import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { afterEach, describe, expect, it } from 'vitest';
import { Roles, Scopes } from '../../src/index.js';
import { startApp, type TestApp } from '../utils/app.js';
import { appModule, bearer, codes, Post, PostFieldsResolver, RootResolver, type GraphqlBody } from './graphql-fixtures.js';

/**
 * Issue 16, item 1: field resolvers (`@ResolveField()`). @nestjs/graphql runs guards on them
 * only with `fieldResolverEnhancers: ['guards']`: with it, a protected field under a public
 * parent is decided like a query; without it, decorators on a field resolver would silently
 * not apply, so the app refuses to start.
 */
@Resolver(() => Post)
class PlainFieldsResolver {
  @ResolveField(() => Number)
  length(@Parent() post: Post): number {
    return post.title.length;
  }
}

/** `@Roles()` / `@Scopes()` on field resolvers: each adds a guard like `@Permissions()` does (review finding 3). */
@Resolver(() => Post)
class RoleFieldsResolver {
  @Roles('editor')
  @ResolveField(() => String, { nullable: true })
  draft(@Parent() post: Post): string {
    return `draft of ${post.id}`;
  }

  @Scopes('posts:audit')
  @ResolveField(() => String, { nullable: true })
  audit(@Parent() post: Post): string {
    return `audit of ${post.id}`;
  }
}

@Roles('editor')
@Resolver(() => Post)
class ClassRoleFieldsResolver {
  @ResolveField(() => String, { nullable: true })
  history(@Parent() post: Post): string {
    return `history of ${post.id}`;
  }
}

const DRIVERS = {
  apollo: (guards: boolean) =>
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      graphiql: false,
      ...(guards ? { fieldResolverEnhancers: ['guards', 'filters'] as const } : {}),
    }),
  mercurius: (guards: boolean) =>
    GraphQLModule.forRoot<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      autoSchemaFile: true,
      graphiql: false,
      ...(guards ? { fieldResolverEnhancers: ['guards', 'filters'] as const } : {}),
    }),
};

describe.each(Object.keys(DRIVERS) as (keyof typeof DRIVERS)[])('GraphQL field resolvers, %s driver on Fastify', (driver) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function gql(query: string, authorization?: string): Promise<GraphqlBody> {
    const request = t!.http.post('/graphql').set('content-type', 'application/json');
    if (authorization !== undefined) request.set('authorization', authorization);
    return (await request.send({ query })).body as GraphqlBody;
  }

  it("fieldResolverEnhancers: ['guards', 'filters']: a protected field on a public parent is refused with its code, the rest answered", async () => {
    t = await startApp('fastify', { imports: [appModule(DRIVERS[driver](true), [RootResolver, PostFieldsResolver])] });
    const anonymous = await gql('{ posts { id excerpt secretNote } }');
    expect(anonymous.data).toEqual({ posts: [{ id: '1', excerpt: 'fir', secretNote: null }] });
    expect(codes(anonymous)).toEqual({ 'posts.0.secretNote': 'credentials_missing' });
    const user = await gql('{ posts { secretNote } }', bearer());
    expect(codes(user)).toEqual({ 'posts.0.secretNote': 'permission_denied' });
    expect(await gql('{ posts { secretNote } }', bearer({ permissions: ['notes:read'] }))).toEqual({
      data: { posts: [{ secretNote: 'note on 1' }] },
    });
  });

  it("fieldResolverEnhancers: ['guards', 'filters']: an undecorated field resolver needs authentication like any handler", async () => {
    t = await startApp('fastify', { imports: [appModule(DRIVERS[driver](true), [RootResolver, PlainFieldsResolver])] });
    const anonymous = await gql('{ posts { id length } }');
    expect(codes(anonymous)).toEqual({ 'posts.0.length': 'credentials_missing' });
    expect(await gql('{ posts { length } }', bearer())).toEqual({ data: { posts: [{ length: 5 }] } });
  });

  it('without it: @Permissions() on a field resolver refuses to start, naming the resolver and the fix', async () => {
    await expect(startApp('fastify', { imports: [appModule(DRIVERS[driver](false), [RootResolver, PostFieldsResolver])] })).rejects.toThrow(
      /PostFieldsResolver\.secretNote carry @Auth\(\), @Permissions\(\), @Roles\(\) or @Scopes\(\).*fieldResolverEnhancers: \['guards', 'filters'\]/,
    );
  });

  it.each([
    ['@Roles() and @Scopes() on field resolvers', RoleFieldsResolver, /RoleFieldsResolver\.draft, RoleFieldsResolver\.audit carry/],
    ['@Roles() on the field resolver class', ClassRoleFieldsResolver, /ClassRoleFieldsResolver\.history carry/],
  ])('without it: %s refuse to start, naming them', async (_name, resolver, message) => {
    await expect(startApp('fastify', { imports: [appModule(DRIVERS[driver](false), [RootResolver, resolver])] })).rejects.toThrow(message);
  });

  it("with ['guards', 'filters']: @Roles() and @Scopes() on field resolvers are enforced", async () => {
    t = await startApp('fastify', {
      imports: [appModule(DRIVERS[driver](true), [RootResolver, RoleFieldsResolver, ClassRoleFieldsResolver])],
    });
    const user = await gql('{ posts { id draft audit history } }', bearer());
    expect(user.data).toEqual({ posts: [{ id: '1', draft: null, audit: null, history: null }] });
    expect(codes(user)).toEqual({
      'posts.0.draft': 'permission_denied',
      'posts.0.audit': 'permission_denied',
      'posts.0.history': 'permission_denied',
    });
    expect(await gql('{ posts { draft audit history } }', bearer({ roles: ['editor'], scope: 'posts:audit' }))).toEqual({
      data: { posts: [{ draft: 'draft of 1', audit: 'audit of 1', history: 'history of 1' }] },
    });
  });

  it("'guards' without 'filters' refuses to start: refusals would not carry our codes", async () => {
    const module =
      driver === 'apollo'
        ? GraphQLModule.forRoot<ApolloDriverConfig>({
            driver: ApolloDriver,
            autoSchemaFile: true,
            graphiql: false,
            fieldResolverEnhancers: ['guards'],
          })
        : GraphQLModule.forRoot<MercuriusDriverConfig>({
            driver: MercuriusDriver,
            autoSchemaFile: true,
            graphiql: false,
            fieldResolverEnhancers: ['guards'],
          });
    await expect(startApp('fastify', { imports: [appModule(module, [RootResolver, PlainFieldsResolver])] })).rejects.toThrow(
      "has 'guards' without 'filters'",
    );
  });

  it('without it: an undecorated field resolver is as open as its parent (no guard runs on it)', async () => {
    t = await startApp('fastify', { imports: [appModule(DRIVERS[driver](false), [RootResolver, PlainFieldsResolver])] });
    expect(await gql('{ posts { id length } }')).toEqual({ data: { posts: [{ id: '1', length: 5 }] } });
  });
});
