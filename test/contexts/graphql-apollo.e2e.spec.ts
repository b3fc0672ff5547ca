import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, claims, hs, now } from '../utils/tokens.js';
import { startApp, type TestApp } from '../utils/app.js';
import { appModule, bearer, codes, SECRET, AuditService, type GraphqlBody } from './graphql-fixtures.js';

/**
 * Issue 16, item 1: GraphQL queries and mutations under the same decorators, Apollo driver
 * (`@nestjs/apollo` 14, Apollo Server 5, code-first schema). Fastify through
 * `@as-integrations/fastify`; Express needs `@as-integrations/express5`, which is not
 * installed here (see graphql-apollo-express.e2e.spec.ts).
 */
const graphql = (extra: Partial<ApolloDriverConfig> = {}) =>
  GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, graphiql: false, ...extra });

describe('GraphQL over HTTP, Apollo driver on Fastify', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(extra: Partial<ApolloDriverConfig> = {}): Promise<TestApp> {
    t = await startApp('fastify', { imports: [appModule(graphql(extra))] });
    return t;
  }

  async function gql(query: string, authorization?: string): Promise<{ status: number; body: GraphqlBody }> {
    const request = t!.http.post('/graphql').set('content-type', 'application/json');
    if (authorization !== undefined) request.set('authorization', authorization);
    const response = await request.send({ query });
    return { status: response.status, body: response.body as GraphqlBody };
  }

  it('an anonymous query of a protected field: data null, a GraphQL error with our code and status, no token in it', async () => {
    await start();
    const { status, body } = await gql('{ secret }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ secret: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({ path: ['secret'], extensions: { code: 'credentials_missing', status: 401 } });
  });

  it('a valid token: the resolver runs, @AuthContext(), @CurrentUser() and AuthContextService see the caller', async () => {
    await start();
    const { body } = await gql('{ secret me whoAmI }', bearer());
    expect(body).toEqual({ data: { secret: 'secret for 42', me: 'user 42', whoAmI: 'audited 42' } });
  });

  it.each([
    ['forged (another key)', `Bearer ${hs(claims(), 'x'.repeat(32))}`, 'token_invalid'],
    ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`, 'token_invalid'],
    ['expired', `Bearer ${hs(claims({ iat: now() - 100, exp: now() - 10 }), SECRET)}`, 'token_expired'],
    ['malformed', 'Bearer not-a-token', 'token_malformed'],
  ])('a %s token is refused with its code, the message holds no token', async (_name, authorization, code) => {
    await start();
    const { body } = await gql('{ secret }', authorization);
    expect(body.data).toEqual({ secret: null });
    expect(codes(body)).toEqual({ secret: code });
    expect(JSON.stringify(body.errors)).not.toContain(authorization.slice(7, 40));
  });

  it('@Auth({ guards: [IsAdmin()] }) on a query: 403 permission_denied for a user, answered for a superuser', async () => {
    await start();
    expect(codes((await gql('{ adminOnly }', bearer())).body)).toEqual({ adminOnly: 'permission_denied' });
    expect((await gql('{ adminOnly }', bearer({ is_superuser: true }))).body).toEqual({ data: { adminOnly: 'admin answer' } });
  });

  it('@Permissions() on a mutation without the permission: permission_denied and the mutation did not run', async () => {
    await start();
    const audit = t!.app.get(AuditService);
    const refused = await gql('mutation { deletePost(id: "1") }', bearer({ permissions: ['posts:read'] }));
    expect(refused.body.data).toBeNull();
    expect(codes(refused.body)).toEqual({ deletePost: 'permission_denied' });
    expect(refused.body.errors![0]!.extensions!.status).toBe(403);
    const anonymous = await gql('mutation { deletePost(id: "2") }');
    expect(codes(anonymous.body)).toEqual({ deletePost: 'credentials_missing' });
    expect(audit.deleted).toEqual([]);
    const allowed = await gql('mutation { deletePost(id: "3") }', bearer({ permissions: ['posts:delete'] }));
    expect(allowed.body).toEqual({ data: { deletePost: true } });
    expect(audit.deleted).toEqual(['3']);
  });

  it('aliased fields mixing public and protected: each field decided on its own', async () => {
    await start();
    const anonymous = await gql('{ a: hello b: secret c: hello d: secret }');
    expect(anonymous.body.data).toEqual({ a: 'world', b: null, c: 'world', d: null });
    expect(codes(anonymous.body)).toEqual({ b: 'credentials_missing', d: 'credentials_missing' });
    // With a token, a @Public() field still sees an anonymous context, and never leaves it on its protected siblings.
    const mixed = await gql('{ a: publicContext b: secret c: publicContext d: me }', bearer());
    expect(mixed.body).toEqual({ data: { a: 'backend null', b: 'secret for 42', c: 'backend null', d: 'user 42' } });
  });

  it('class-level decorators: @Public() class, a method @Auth() under it, a class @Permissions()', async () => {
    await start();
    expect((await gql('{ open }')).body).toEqual({ data: { open: 'open' } });
    expect(codes((await gql('{ closedUnderPublic }')).body)).toEqual({ closedUnderPublic: 'credentials_missing' });
    expect((await gql('{ closedUnderPublic }', bearer())).body).toEqual({ data: { closedUnderPublic: 'closed for 42' } });
    expect(codes((await gql('{ report }', bearer())).body)).toEqual({ report: 'permission_denied' });
    expect((await gql('{ report }', bearer({ permissions: ['reports:read'] }))).body).toEqual({ data: { report: 'report' } });
  });

  it('batched operations (allowBatchedHttpRequests): each operation decided on its own', async () => {
    await start({ allowBatchedHttpRequests: true });
    const response = await t!.http
      .post('/graphql')
      .set('content-type', 'application/json')
      .send([{ query: '{ hello }' }, { query: '{ secret }' }, { query: 'mutation { deletePost(id: "9") }' }]);
    const [first, second, third] = response.body as GraphqlBody[];
    expect(first).toEqual({ data: { hello: 'world' } });
    expect(codes(second!)).toEqual({ secret: 'credentials_missing' });
    expect(codes(third!)).toEqual({ deletePost: 'credentials_missing' });
    expect(t!.app.get(AuditService).deleted).toEqual([]);
  });

  it('introspection stays as the app configured it: open when enabled, refused by Apollo when disabled', async () => {
    await start();
    expect((await gql('{ __schema { queryType { name } } }')).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    await t!.close();
    await start({ introspection: false });
    const refused = await gql('{ __schema { queryType { name } } }', bearer());
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a custom context function keeps working: the request is still found without wiring', async () => {
    await start({ context: () => ({ tenant: 'acme' }) });
    expect((await gql('{ secret }', bearer())).body).toEqual({ data: { secret: 'secret for 42' } });
    expect(codes((await gql('{ secret }')).body)).toEqual({ secret: 'credentials_missing' });
  });
});
