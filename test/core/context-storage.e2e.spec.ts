import { Controller, Get, Inject, Injectable, Module, forwardRef, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthContextService, AuthModule, JwtAuthentication, type AuthModuleOptions } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { SECRET } from './core-app.js';

/**
 * `AuthContextService` reads an `AsyncLocalStorage` scope that is opened only when the app
 * injects the service (or `contextStorage: true`): each way of injecting it must be seen.
 */
const token = hs(claims(), SECRET);
const READER = Symbol('reader');

interface Reader {
  userId(): Promise<string | null>;
}

/** Reads the current user id after an await, so the scope must cross an async boundary. */
async function read(auth: AuthContextService | undefined): Promise<string | null> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return auth?.userId ?? null;
}

@Injectable()
class ByConstructor implements Reader {
  constructor(private readonly auth: AuthContextService) {}
  userId(): Promise<string | null> {
    return read(this.auth);
  }
}

@Injectable()
class ByProperty implements Reader {
  @Inject(AuthContextService) private readonly auth!: AuthContextService;
  userId(): Promise<string | null> {
    return read(this.auth);
  }
}

@Injectable()
class ByForwardRef implements Reader {
  constructor(@Inject(forwardRef(() => AuthContextService)) private readonly auth: AuthContextService) {}
  userId(): Promise<string | null> {
    return read(this.auth);
  }
}

/** No static dependency: the service is looked up at request time. */
@Injectable()
class ByModuleRef implements Reader {
  constructor(private readonly moduleRef: ModuleRef) {}
  userId(): Promise<string | null> {
    return read(this.moduleRef.get(AuthContextService, { strict: false }));
  }
}

const byFactory = {
  provide: READER,
  inject: [AuthContextService],
  useFactory: (auth: AuthContextService): Reader => ({ userId: () => read(auth) }),
};

function appWith(reader: Type<Reader> | typeof byFactory, options: Partial<AuthModuleOptions> = {}): Type {
  @Controller()
  class ReaderController {
    constructor(@Inject(READER) private readonly reader: Reader) {}
    @Get('who')
    async who(): Promise<{ userId: string | null }> {
      return { userId: await this.reader.userId() };
    }
  }

  @Module({
    imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })], ...options })],
    controllers: [ReaderController],
    providers: [typeof reader === 'function' ? { provide: READER, useClass: reader } : reader],
  })
  class ContextStorageApp {}
  return ContextStorageApp;
}

describe.each(ADAPTERS)('AuthContextService scope on %s', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function who(module: Type): Promise<unknown> {
    t = await startApp(adapter, { imports: [module] });
    const res = await t.http.get('/who').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  it.each([
    ['constructor', ByConstructor],
    ['property', ByProperty],
    ['forwardRef', ByForwardRef],
    ['factory inject', byFactory],
  ] as const)('is on when a provider injects the service by %s', async (_how, reader) => {
    expect(await who(appWith(reader))).toEqual({ userId: '42' });
  });

  it('is off when nothing injects the service, and contextStorage: true turns it on', async () => {
    expect(await who(appWith(ByModuleRef))).toEqual({ userId: null });
    await t?.close();
    expect(await who(appWith(ByModuleRef, { contextStorage: true }))).toEqual({ userId: '42' });
  });

  it('contextStorage: false turns it off even when injected', async () => {
    expect(await who(appWith(ByConstructor, { contextStorage: false }))).toEqual({ userId: null });
  });

  it('refuses a contextStorage that is not a boolean', async () => {
    await expect(startApp(adapter, { imports: [appWith(ByConstructor, { contextStorage: 'yes' as unknown as boolean })] })).rejects.toThrow(
      /contextStorage/,
    );
  });
});
