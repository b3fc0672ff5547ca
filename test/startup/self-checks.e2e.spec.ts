import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Scope,
  UseGuards,
  forwardRef,
  type CanActivate,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, ModuleRef } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Auth,
  AuthModule,
  HasPermission,
  IsAdmin,
  IsStaff,
  JwtAuthentication,
  TokenService,
  type AuthModuleOptions,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { bootError } from './boot.js';

/**
 * Start-up self-checks on how the app uses the module: registered once, `TokenService`
 * injected only with `tokens`, guard factories called. Each misuse refuses to start with a
 * message that says what to fix; the correct use still boots.
 */
const SECRET = 'c'.repeat(32);
const options = (): AuthModuleOptions => ({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] });

@Controller()
class PingController {
  @Get('ping') ping(): string {
    return 'pong';
  }
}

/** Casts an uncalled factory the way `@UseGuards()`' own signature lets it through. */
const uncalled = (factory: Function): CanActivate => factory as unknown as CanActivate;

describe.each(ADAPTERS)('start-up self-checks on %s', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  describe('AuthModule registered twice', () => {
    it('refuses forRoot imported in two modules, naming them', async () => {
      @Module({ imports: [AuthModule.forRoot(options())] })
      class UsersModule {}
      @Module({ imports: [AuthModule.forRoot(options()), UsersModule], controllers: [PingController] })
      class AppModule {}
      const { message } = await bootError(adapter, AppModule);
      expect(message).toContain('AuthModule is registered 2 times (imported by AppModule, UsersModule)');
      expect(message).toContain('import AuthModule.forRoot() or forRootAsync() once, in the root module');
      expect(message).toContain('two global guards');
    });

    it('refuses forRoot plus forRootAsync', async () => {
      @Module({ imports: [AuthModule.forRootAsync({ useFactory: options })] })
      class UsersModule {}
      @Module({ imports: [UsersModule, AuthModule.forRoot(options())], controllers: [PingController] })
      class AppModule {}
      expect((await bootError(adapter, AppModule)).message).toContain('AuthModule is registered 2 times');
    });

    it('boots one registration imported in two places (the same dynamic module is one module)', async () => {
      const auth = AuthModule.forRoot(options());
      @Module({ imports: [auth] })
      class UsersModule {}
      @Module({ imports: [auth, UsersModule], controllers: [PingController] })
      class AppModule {}
      t = await startApp(adapter, { imports: [AppModule] });
      const res = await t.http.get('/ping');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('credentials_missing');
      expect((await t.http.get('/ping').set('authorization', `Bearer ${hs(claims(), SECRET)}`)).status).toBe(200);
    });
  });

  describe('TokenService injected without `tokens`', () => {
    @Injectable()
    class ByConstructor {
      constructor(readonly tokens: TokenService) {}
    }
    @Controller('p')
    class ByProperty {
      @Inject(TokenService) readonly tokens!: TokenService;
    }
    const byFactory = { provide: 'SIGNUP', inject: [TokenService], useFactory: (tokens: TokenService) => ({ tokens }) };
    @Injectable({ scope: Scope.REQUEST })
    class ByRequestScope {
      constructor(readonly tokens: TokenService) {}
    }
    @Injectable()
    class ByForwardRef {
      constructor(@Inject(forwardRef(() => TokenService)) readonly tokens: TokenService) {}
    }
    @Injectable()
    class ByMiddleware implements NestMiddleware {
      constructor(readonly tokens: TokenService) {}
      use(_request: unknown, _response: unknown, next: () => void): void {
        next();
      }
    }

    function appWith(
      metadata: { providers?: unknown[]; controllers?: Type[]; middleware?: Type<NestMiddleware> },
      extra: Partial<AuthModuleOptions> = {},
    ): Type {
      @Module({
        imports: [AuthModule.forRoot({ ...options(), ...extra })],
        controllers: [PingController, ...(metadata.controllers ?? [])],
        providers: (metadata.providers ?? []) as Type[],
      })
      class AppModule implements NestModule {
        configure(consumer: MiddlewareConsumer): void {
          if (metadata.middleware !== undefined) consumer.apply(metadata.middleware).forRoutes(PingController);
        }
      }
      return AppModule;
    }

    it.each([
      ['a constructor parameter', { providers: [ByConstructor] }, 'ByConstructor injects TokenService'],
      ['an @Inject() property', { controllers: [ByProperty] }, 'ByProperty injects TokenService'],
      ['a factory `inject`', { providers: [byFactory] }, 'SIGNUP injects TokenService'],
      ['a REQUEST-scoped provider', { providers: [ByRequestScope] }, 'ByRequestScope injects TokenService'],
      ['a forwardRef()', { providers: [ByForwardRef] }, 'ByForwardRef injects TokenService'],
      ['a middleware', { middleware: ByMiddleware }, 'ByMiddleware injects TokenService'],
    ])('refuses %s, naming the injector and `tokens`', async (_how, metadata, who) => {
      const { message } = await bootError(adapter, appWith(metadata));
      expect(message).toContain(`AuthModule: ${who}, but \`tokens\` is not configured`);
      expect(message).toContain("tokens: { secret: process.env.JWT_SECRET, algorithm: 'HS256' }");
    });

    it('boots when `tokens` is configured', async () => {
      t = await startApp(adapter, { imports: [appWith({ providers: [ByConstructor, byFactory] }, { tokens: { secret: SECRET } })] });
      expect(typeof t.app.get(ByConstructor).tokens.createAccessToken({ id: 1 })).toBe('string');
    });

    it('boots when nothing injects it; a dynamic lookup gets the TypeError that names `tokens`', async () => {
      @Injectable()
      class Lazy {
        constructor(readonly moduleRef: ModuleRef) {}
      }
      t = await startApp(adapter, { imports: [appWith({ providers: [Lazy] })] });
      const tokens = t.app.get(Lazy).moduleRef.get(TokenService, { strict: false });
      expect(() => tokens.createAccessToken({ id: 1 })).toThrow(TypeError);
      expect(() => tokens.createAccessToken({ id: 1 })).toThrow(/configure `tokens`/);
    });
  });

  describe('a guard factory passed uncalled', () => {
    it('refuses @UseGuards(IsAdmin) on a method, saying to call it', async () => {
      @Controller()
      class AdminController {
        @UseGuards(uncalled(IsAdmin)) @Get('admin') admin(): string {
          return 'admin';
        }
      }
      @Module({ imports: [AuthModule.forRoot(options())], controllers: [AdminController] })
      class AppModule {}
      const { message } = await bootError(adapter, AppModule);
      expect(message).toContain('IsAdmin is a guard factory, not a guard class: call it, @UseGuards(IsAdmin())');
    });

    it('refuses @UseGuards(HasPermission) on a class, and as an APP_GUARD useClass', async () => {
      @UseGuards(uncalled(HasPermission))
      @Controller()
      class ReportsController {
        @Get('reports') reports(): string {
          return 'reports';
        }
      }
      @Module({ imports: [AuthModule.forRoot(options())], controllers: [ReportsController] })
      class ClassLevel {}
      expect((await bootError(adapter, ClassLevel)).message).toContain('HasPermission is a guard factory, not a guard class: call it');
      @Module({ imports: [AuthModule.forRoot(options())], providers: [{ provide: APP_GUARD, useClass: uncalled(IsStaff) as never }] })
      class AsAppGuard {}
      expect((await bootError(adapter, AsAppGuard)).message).toContain('IsStaff is a guard factory, not a guard class: call it');
    });

    it('refuses forRoot({ guards: [IsAdmin] }), saying to call the factory', async () => {
      @Module({ imports: [AuthModule.forRoot({ ...options(), guards: [uncalled(IsAdmin)] })], controllers: [PingController] })
      class AppModule {}
      expect((await bootError(adapter, AppModule)).message).toBe(
        'AuthModule: guards[0] is the guard factory IsAdmin, not a guard: call the factory, IsAdmin()',
      );
    });

    it('called, the same guards work: @UseGuards(IsAdmin()) answers 403, then 200 for a superuser', async () => {
      @Controller()
      class AdminController {
        @UseGuards(IsAdmin()) @Get('admin') admin(): string {
          return 'admin';
        }
      }
      @Module({ imports: [AuthModule.forRoot(options())], controllers: [AdminController] })
      class AppModule {}
      t = await startApp(adapter, { imports: [AppModule] });
      const denied = await t.http.get('/admin').set('authorization', `Bearer ${hs(claims(), SECRET)}`);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('permission_denied');
      const admin = await t.http.get('/admin').set('authorization', `Bearer ${hs(claims({ is_superuser: true }), SECRET)}`);
      expect(admin.status).toBe(200);
    });
  });
});

describe('@Auth({ guards }) with a factory passed uncalled', () => {
  it('refuses when the decorator is applied (the controller module loads), saying to call it', () => {
    const applied = (decorator: ClassDecorator) => (): void => {
      class UsersController {}
      decorator(UsersController);
    };
    expect(applied(Auth({ guards: [uncalled(IsStaff)] }))).toThrow(
      '@Auth() on UsersController: guards[0] is the guard factory IsStaff, not a guard: call the factory, IsStaff()',
    );
    class RolesGuard implements CanActivate {
      canActivate(): boolean {
        return true;
      }
    }
    expect(applied(Auth({ guards: [uncalled(RolesGuard)] }))).toThrow(
      '@Auth() on UsersController: guards[0] is the class RolesGuard, not a guard: pass an instance, new RolesGuard()',
    );
  });
});
