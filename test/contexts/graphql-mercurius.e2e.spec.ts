import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../utils/app.js';
import { b64, claims, hs, now } from '../utils/tokens.js';
import { appModule, AuditService, bearer, codes, SECRET, type GraphqlBody } from './graphql-fixtures.js';

/**
 * Issue 16, item 1: GraphQL queries and mutations under the same decorators, Mercurius driver
 * (`@nestjs/mercurius` 14, Mercurius 16, Fastify only), code-first schema. Mercurius answers
 * with our status when the response has no data and one error.
 */
const graphql = (extra: Partial<MercuriusDriverConfig> = {}) =>
  GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true, graphiql: false, ...extra });

describe('GraphQL over HTTP, Mercurius driver on Fastify', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(extra: Partial<MercuriusDriverConfig> = {}): Promise<TestApp> {
    t = await startApp('fastify', { imports: [appModule(graphql(extra))] });
    return t;
  }

  async function gql(query: string, authorization?: string): Promise<{ status: number; body: GraphqlBody }> {
    const request = t!.http.post('/graphql').set('content-type', 'application/json');
    if (authorization !== undefined) request.set('authorization', authorization);
    const response = await request.send({ query });
    return { status: response.status, body: response.body as GraphqlBody };
  }

  it('an anonymous query of a protected field: the field null, a GraphQL error with our code and status', async () => {
    await start();
    const { status, body } = await gql('{ secret }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ secret: null });
    expect(body.errors![0]).toMatchObject({ path: ['secret'], extensions: { code: 'credentials_missing', status: 401 } });
    expect(body.errors![0]!.extensions).not.toHaveProperty('http');
  });

  it('a valid token: @AuthContext(), @CurrentUser() and AuthContextService see the caller', async () => {
    await start();
    expect((await gql('{ secret me whoAmI }', bearer())).body).toEqual({
      data: { secret: 'secret for 42', me: 'user 42', whoAmI: 'audited 42' },
    });
  });

  it.each([
    ['forged (another key)', `Bearer ${hs(claims(), 'x'.repeat(32))}`, 'token_invalid'],
    ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`, 'token_invalid'],
    ['expired', `Bearer ${hs(claims({ iat: now() - 100, exp: now() - 10 }), SECRET)}`, 'token_expired'],
  ])('a %s token is refused with its code; with no data, the HTTP status is ours (401)', async (_name, authorization, code) => {
    await start();
    expect(codes((await gql('{ secret }', authorization)).body)).toEqual({ secret: code });
    const { status, body } = await gql('{ me }', authorization);
    expect(body.data).toBeNull();
    expect(codes(body)).toEqual({ me: code });
    expect(status).toBe(401);
    expect(JSON.stringify(body)).not.toContain(authorization.slice(7, 40));
  });

  it('@Permissions() on a mutation without the permission: 403 permission_denied and the mutation did not run', async () => {
    await start();
    const audit = t!.app.get(AuditService);
    const refused = await gql('mutation { deletePost(id: "1") }', bearer({ permissions: ['posts:read'] }));
    expect(refused.status).toBe(403);
    expect(codes(refused.body)).toEqual({ deletePost: 'permission_denied' });
    expect(audit.deleted).toEqual([]);
    expect((await gql('mutation { deletePost(id: "3") }', bearer({ permissions: ['posts:delete'] }))).body).toEqual({
      data: { deletePost: true },
    });
    expect(audit.deleted).toEqual(['3']);
  });

  it('aliased public and protected fields, and a @Public() field beside protected ones with a token', async () => {
    await start();
    const anonymous = await gql('{ a: hello b: secret }');
    expect(anonymous.body.data).toEqual({ a: 'world', b: null });
    expect(codes(anonymous.body)).toEqual({ b: 'credentials_missing' });
    const mixed = await gql('{ a: publicContext b: secret c: publicContext d: me }', bearer());
    expect(mixed.body).toEqual({ data: { a: 'backend null', b: 'secret for 42', c: 'backend null', d: 'user 42' } });
  });

  it('class-level decorators and @Auth({ guards: [IsAdmin()] })', async () => {
    await start();
    expect((await gql('{ open }')).body).toEqual({ data: { open: 'open' } });
    expect(codes((await gql('{ closedUnderPublic }')).body)).toEqual({ closedUnderPublic: 'credentials_missing' });
    expect(codes((await gql('{ report }', bearer())).body)).toEqual({ report: 'permission_denied' });
    expect(codes((await gql('{ adminOnly }', bearer())).body)).toEqual({ adminOnly: 'permission_denied' });
    expect((await gql('{ adminOnly }', bearer({ is_superuser: true }))).body).toEqual({ data: { adminOnly: 'admin answer' } });
  });

  it('batched queries (allowBatchedQueries): each operation decided on its own', async () => {
    await start({ allowBatchedQueries: true });
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

  it('a GET query reads the header too; introspection stays as configured', async () => {
    await start();
    const get = await t!.http.get('/graphql').query({ query: '{ secret }' }).set('authorization', bearer());
    expect(get.body).toEqual({ data: { secret: 'secret for 42' } });
    expect((await gql('{ __schema { queryType { name } } }')).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });
});
