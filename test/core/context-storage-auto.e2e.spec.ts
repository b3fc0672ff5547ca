import { Controller, Get, Injectable, Module, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthContextService, AuthModule, JwtAuthentication, WardenGuard, type AuthModuleOptions } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { SECRET } from './core-app.js';

/**
 * The `AsyncLocalStorage` behind `AuthContextService` costs every request while it is on, so
 * with `contextStorage` left out it is on only when a class of the app injects the service.
 * The global guard (which enters the scope) does not count, nor does a subclass of it.
 */
const bearer = { authorization: `Bearer ${hs(claims({ sub: 'alice' }), SECRET)}` };

/** Reads the service only through `moduleRef.get()`: invisible to the start-up scan. */
@Controller('dynamic')
class DynamicController {
  constructor(private readonly moduleRef: ModuleRef) {}
  @Get()
  read(): { userId: string | null } {
    return { userId: this.moduleRef.get(AuthContextService, { strict: false }).userId };
  }
}

/** Injects the service as an app's own service does. */
@Injectable()
class Audit {
  constructor(readonly auth: AuthContextService) {}
}

@Controller('injected')
class InjectedController {
  constructor(private readonly audit: Audit) {}
  @Get()
  read(): { userId: string | null } {
    return { userId: this.audit.auth.userId };
  }
}

/** A subclass of the global guard, registered by the app: injects what WardenGuard injects. */
@Injectable()
class LoggingGuard extends WardenGuard {}

function app(options: Partial<AuthModuleOptions>, controllers: Type[], providers: Type[] = []): Type {
  @Module({
    imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })], ...options })],
    controllers,
    providers,
  })
  class AutoApp {}
  return AutoApp;
}

describe.each(ADAPTERS)('contextStorage left out, on %s', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('is off when no class injects AuthContextService: a read throws a TypeError saying to inject it or set contextStorage: true', async () => {
    t = await startApp(adapter, { imports: [app({}, [DynamicController], [LoggingGuard])] });
    const answer = await t.http.get('/dynamic').set(bearer);
    expect(answer.status).toBe(500);
    const service = t.app.get(AuthContextService);
    expect(() => service.userId).toThrow(TypeError);
    expect(() => service.userId).toThrow(/no class of the app injected AuthContextService.*`contextStorage: true`/);
  });

  it('contextStorage: true turns it on for a service reached through moduleRef.get()', async () => {
    t = await startApp(adapter, { imports: [app({ contextStorage: true }, [DynamicController])] });
    const answer = await t.http.get('/dynamic').set(bearer);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ userId: 'alice' });
  });

  it('is on when a provider injects the service', async () => {
    t = await startApp(adapter, { imports: [app({}, [InjectedController, DynamicController], [Audit])] });
    expect((await t.http.get('/injected').set(bearer)).body).toEqual({ userId: 'alice' });
    expect((await t.http.get('/dynamic').set(bearer)).body).toEqual({ userId: 'alice' });
    expect((await t.http.get('/injected')).status).toBe(401);
  });
});
