import { Controller, Delete, Get, Module, type Type } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { AllowAny, Auth, AuthModule, IsAdmin, JwtAuthentication, Permissions, Public, type AuthModuleOptions } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { bootError } from './boot.js';

/**
 * API.md "Module": decorator combinations that would open a route silently refuse to start,
 * naming the class and the handler; the valid combinations next to them boot and answer as
 * documented (issue 16, item 5).
 */
const SECRET = 'k'.repeat(32);
const options = (extra: Partial<AuthModuleOptions> = {}): AuthModuleOptions => ({
  authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
  ...extra,
});
const appWith = (controller: Type, extra: Partial<AuthModuleOptions> = {}): Type => {
  @Module({ imports: [AuthModule.forRoot(options(extra))], controllers: [controller] })
  class AppModule {}
  return AppModule;
};
const bearer = (extra: Record<string, unknown> = {}): string => `Bearer ${hs(claims(extra), SECRET)}`;

@Public()
@Controller('files')
class ClassPublicMethodPermissions {
  @Permissions('files:delete')
  @Delete(':id')
  remove(): string {
    return 'dropped!';
  }
}

@Permissions('reports:read')
@Controller('reports')
class ClassPermissionsMethodPublic {
  @Public()
  @Get()
  list(): string {
    return 'all reports';
  }
}

@Controller('same-level')
class PublicAndPermissionsOnOneMethod {
  @Public()
  @Permissions('x')
  @Get()
  both(): string {
    return 'open?';
  }
}

@Public()
@Permissions('x')
@Controller('same-class')
class PublicAndPermissionsOnOneClass {
  @Get()
  plain(): string {
    return 'open?';
  }
}

/** Valid: a nearer @Auth() cancels the class @Public(), so the method's @Permissions() apply. */
@Public()
@Controller('open')
class ReopenedUnderPublic {
  @Get()
  list(): string {
    return 'open';
  }

  @Auth({ guards: [IsAdmin()] })
  @Get('admin')
  admin(): string {
    return 'admin';
  }

  @Auth({ guards: [AllowAny()] })
  @Permissions('files:delete')
  @Delete(':id')
  remove(): string {
    return 'deleted';
  }
}

describe.each(ADAPTERS)('conflicting decorators refuse to start on %s', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it.each(
    (
      [
        [
          ClassPublicMethodPermissions,
          "ClassPublicMethodPermissions.remove is public (@Public() on the class) but has @Permissions('files:delete') on the method",
        ],
        [
          ClassPermissionsMethodPublic,
          "ClassPermissionsMethodPublic.list is public (@Public() on the method) but has @Permissions('reports:read') on the class",
        ],
        [
          PublicAndPermissionsOnOneMethod,
          "PublicAndPermissionsOnOneMethod.both is public (@Public() on the method) but has @Permissions('x') on the method",
        ],
        [
          PublicAndPermissionsOnOneClass,
          "PublicAndPermissionsOnOneClass.plain is public (@Public() on the class) but has @Permissions('x') on the class",
        ],
      ] as const
    ).map(([controller, expected]) => [controller.name, controller, expected] as const),
  )('%s: a TypeError naming the class and handler', async (_, controller, expected) => {
    const error = await bootError(adapter, appWith(controller));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(expected);
    expect(error.message).toContain('a public handler runs no guard, so the permissions would never be checked');
  });

  it('AuthModule.forRoot({ guards: [] }) refuses, saying to write [AllowAny()]', async () => {
    const error = await bootError(adapter, appWith(ReopenedUnderPublic, { guards: [] }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      'AuthModule: `guards: []` would let anyone in, anonymous callers too; to allow every caller on purpose write `guards: [AllowAny()]`',
    );
  });

  it('AuthModule.forRootAsync() resolving guards: [] refuses the same way', async () => {
    @Module({ imports: [AuthModule.forRootAsync({ useFactory: () => options({ guards: [] }) })], controllers: [ReopenedUnderPublic] })
    class AsyncModule {}
    expect((await bootError(adapter, AsyncModule)).message).toContain('AuthModule: `guards: []` would let anyone in');
  });

  it('the valid combinations boot and answer as documented', async () => {
    t = await startApp(adapter, { imports: [appWith(ReopenedUnderPublic)] });
    // Class @Public(): open to anyone.
    expect((await t.http.get('/open')).status).toBe(200);
    // Method @Auth({ guards: [IsAdmin()] }) under it: the global backends run, anonymous is 401.
    const anonymous = await t.http.get('/open/admin');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('credentials_missing');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    const notAdmin = await t.http.get('/open/admin').set('authorization', bearer());
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.code).toBe('permission_denied');
    expect((await t.http.get('/open/admin').set('authorization', bearer({ is_superuser: true }))).status).toBe(200);
    // Method @Auth({ guards: [AllowAny()] }) + @Permissions(): the permission is required.
    const deleteAnonymous = await t.http.delete('/open/1');
    expect(deleteAnonymous.status).toBe(401);
    expect(deleteAnonymous.body.code).toBe('credentials_missing');
    const deleteWithout = await t.http.delete('/open/1').set('authorization', bearer({ permissions: ['files:read'] }));
    expect(deleteWithout.status).toBe(403);
    expect(deleteWithout.body.code).toBe('permission_denied');
    const deleteWith = await t.http.delete('/open/1').set('authorization', bearer({ permissions: ['files:delete'] }));
    expect(deleteWith.status).toBe(200);
    expect(deleteWith.text).toBe('deleted');
  });
});
