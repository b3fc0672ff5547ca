import { Controller, Get, Module, type Type } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthContext, AuthModule, JwtAuthentication, Permissions, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

const SECRET = 'claims-mutation-secret-of-at-least-32-bytes';

/** What a handler managed to change; `false` when the runtime refused the write. */
type Attempt = Record<string, boolean>;

function attempt(write: () => void): boolean {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

@Controller()
class MutatingController {
  /** A careless handler: writes into the claims and the context it was handed. */
  @Get('mutate')
  mutate(@AuthContext() context: RequestContext): Attempt {
    const nested = context.claims.profile as { roles: string[] };
    return {
      claimsPermissions: attempt(() => (context.claims.permissions as string[]).push('reports:write')),
      contextPermissions: attempt(() => context.permissions.push('reports:write')),
      nested: attempt(() => nested.roles.push('admin')),
      claim: attempt(() => {
        context.claims.is_superuser = true;
      }),
    };
  }

  @Permissions('reports:write')
  @Get('reports/write')
  write(): { ok: boolean } {
    return { ok: true };
  }

  @Get('claims')
  claims(@AuthContext() context: RequestContext): RequestContext {
    return context;
  }
}

function mutationAppModule(): Type<unknown> {
  @Module({
    imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] })],
    controllers: [MutatingController],
  })
  class MutationAppModule {}
  return MutationAppModule;
}

describe.each(ADAPTERS)('claims handed out from the verified-token cache (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [mutationAppModule()] });
  });
  afterAll(() => t.close());

  it("a handler that writes into context.claims or context.permissions cannot change a later request's decision", async () => {
    const token = hs(claims({ permissions: ['reports:read'], profile: { roles: ['reader'] } }), SECRET);
    const bearer = `Bearer ${token}`;
    const before = await t.http.get('/reports/write').set('authorization', bearer);
    expect(before.status).toBe(403);
    expect(before.body.code).toBe('permission_denied');

    const mutate = await t.http.get('/mutate').set('authorization', bearer);
    expect(mutate.status).toBe(200);

    const after = await t.http.get('/reports/write').set('authorization', bearer);
    expect(after.status).toBe(403);
    expect(after.body.code).toBe('permission_denied');
    const seen = await t.http.get('/claims').set('authorization', bearer);
    expect(seen.body).toMatchObject({
      permissions: ['reports:read'],
      isSuperuser: false,
      claims: { permissions: ['reports:read'], profile: { roles: ['reader'] } },
    });
    expect(seen.body.claims.is_superuser).toBeUndefined();
    // Frozen: each write is refused where it is made, instead of reaching the next request.
    expect(mutate.body).toEqual({ claimsPermissions: false, contextPermissions: false, nested: false, claim: false });
  });
});
