import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { authAs, overrideAuthentication } from 'nestjs-warden/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';

/**
 * Issue 17: the sample's own e2e test written with `nestjs-warden/testing`, as docs/testing.md
 * shows it (Test.createTestingModule, createNestApplication, init; authAs for real tokens,
 * overrideAuthentication to replace authentication while the app's guards still run).
 */
describe('GET /orders (the sample, with nestjs-warden/testing)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });
  afterAll(() => app.close());

  it('clerks list orders, others get 403', async () => {
    await request(app.getHttpServer())
      .get('/orders')
      .set(await authAs(app, { id: 2, roles: ['clerk'] }))
      .expect(200);
    await request(app.getHttpServer())
      .get('/orders')
      .set(await authAs(app, { id: 3 }))
      .expect(403);
    await request(app.getHttpServer())
      .get('/orders')
      .set(await authAs(app, null))
      .expect(401);
  });

  it('authAs mints a real token: the ledger asks the sample user store (alice is staff, bob is not)', async () => {
    await request(app.getHttpServer())
      .get('/orders/ledger')
      .set(await authAs(app, { id: 1 }))
      .expect(200, { ledger: 'balanced' });
    const bob = await request(app.getHttpServer())
      .get('/orders/ledger')
      .set(await authAs(app, { id: 2, isStaff: true }));
    expect(bob.status).toBe(403);
    expect(bob.body.code).toBe('permission_denied');
  });

  it('authAs headers work for GraphQL too: permissions checked on the mutation', async () => {
    const file = { query: 'mutation { fileReport(title: "t") { by } }' };
    const denied = await request(app.getHttpServer())
      .post('/graphql')
      .set(await authAs(app, { id: 2, permissions: ['reports:read'] }))
      .send(file);
    expect(denied.body.errors[0].extensions).toMatchObject({ code: 'permission_denied', status: 403 });
    const allowed = await request(app.getHttpServer())
      .post('/graphql')
      .set(await authAs(app, { id: 1, permissions: ['reports:write'] }))
      .send(file);
    expect(allowed.body).toEqual({ data: { fileReport: { by: '1' } } });
  });

  it('with authentication replaced: no token at all', async () => {
    const builder = Test.createTestingModule({ imports: [AppModule] });
    const moduleRef = await overrideAuthentication(builder, { user: { id: 1, roles: ['clerk'] } }).compile();
    const fake = moduleRef.createNestApplication();
    await fake.init();
    await request(fake.getHttpServer())
      .get('/orders')
      .expect(200, { orders: ['order-1', 'order-2'], for: '1' });
    await request(fake.getHttpServer())
      .get('/orders')
      .set(await authAs(fake, null))
      .expect(401);
    // Another test user for one request; @Roles and the error answer still run.
    const other = await request(fake.getHttpServer())
      .get('/orders')
      .set(await authAs(fake, { id: 3, roles: [] }));
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('permission_denied');
    await fake.close();
  });

  it('with authentication replaced and loadUser: true, the sample userLoader decides the ledger', async () => {
    const builder = Test.createTestingModule({ imports: [AppModule] });
    const moduleRef = await overrideAuthentication(builder, { user: { id: 1 }, loadUser: true }).compile();
    const fake = moduleRef.createNestApplication();
    await fake.init();
    await request(fake.getHttpServer()).get('/orders/ledger').expect(200);
    await request(fake.getHttpServer())
      .get('/orders/ledger')
      .set(await authAs(fake, { id: 2, isStaff: true }))
      .expect(403);
    const ghost = await request(fake.getHttpServer())
      .get('/orders/ledger')
      .set(await authAs(fake, { id: 99 }));
    expect(ghost.status).toBe(401);
    expect(ghost.body.code).toBe('user_inactive');
    await fake.close();
  });
});
