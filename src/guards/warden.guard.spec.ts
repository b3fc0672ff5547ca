import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../auth.config.js';
import type { AuthenticationBackend } from '../backends/authentication-backend.interface.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { Auth } from '../decorators/auth.decorator.js';
import { Permissions } from '../decorators/permissions.decorator.js';
import { Public } from '../decorators/public.decorator.js';
import { AllowAny, IsAdmin } from './permission.guards.js';
import { WardenGuard } from './warden.guard.js';

/** A backend that authenticates every request as `name`, recording the calls. */
function backend(name: string, calls: string[]): AuthenticationBackend {
  return {
    name,
    authenticate: () => {
      calls.push(name);
      return { userId: name, permissions: ['p1'] };
    },
  };
}

function setup(globalBackends: AuthenticationBackend[]): WardenGuard {
  const config = {
    backends: globalBackends,
    guards: [AllowAny()],
    loadUser: undefined,
    backend: async (ref: AuthenticationBackend) => ref,
  } as unknown as AuthConfig;
  return new WardenGuard(new Reflector(), config);
}

function run(guard: WardenGuard, controller: object, method: string): Promise<{ request: AuthRequest; error?: string }> {
  const request = { headers: {}, method: 'GET', url: '/' } as AuthRequest;
  const handler = (controller as Record<string, unknown>)[method] as () => unknown;
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => controller.constructor,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return Promise.resolve(guard.canActivate(context)).then(
    () => ({ request }),
    (error: { code: string }) => ({ request, error: error.code }),
  );
}

const calls: string[] = [];
const methodBackend = backend('method', calls);
const classBackend = backend('class', calls);

@Auth({ authentication: [classBackend] })
@Controller()
class ClassAuth {
  @Get() inherits(): void {}
  @Auth({ authentication: [methodBackend] }) @Get() own(): void {}
  @Public() @Get() open(): void {}
  @Auth({ guards: [IsAdmin()] }) @Get() guardsOnly(): void {}
}

@Public()
@Controller()
class ClassPublic {
  @Get() open(): void {}
  @Auth({ guards: [AllowAny()] }) @Get() reopened(): void {}
}

@Permissions('p1')
@Controller()
class ClassPermissions {
  @Get() classOnly(): void {}
  @Permissions('p2') @Get() both(): void {}
}

describe('WardenGuard resolution: method over class over global, backends and guards separately', () => {
  const guard = setup([backend('global', calls)]);

  it('a class @Auth({ authentication }) replaces the global backends', async () => {
    calls.length = 0;
    const { request } = await run(guard, new ClassAuth(), 'inherits');
    expect(request.context?.authBackend).toBe('class');
    expect(calls).toEqual(['class']);
  });

  it('a method @Auth({ authentication }) replaces the class backends', async () => {
    calls.length = 0;
    expect((await run(guard, new ClassAuth(), 'own')).request.context?.authBackend).toBe('method');
    expect(calls).toEqual(['method']);
  });

  it('a method @Public() wins over a class @Auth(): no backend runs', async () => {
    calls.length = 0;
    const { request, error } = await run(guard, new ClassAuth(), 'open');
    expect(error).toBeUndefined();
    expect(request.context?.authBackend).toBeNull();
    expect(calls).toEqual([]);
  });

  it('a method @Auth({ guards }) keeps the class backends and replaces the guards', async () => {
    const { request, error } = await run(guard, new ClassAuth(), 'guardsOnly');
    expect(request.context?.authBackend).toBe('class');
    expect(error).toBe('permission_denied');
  });

  it('a method @Auth() under a class @Public() runs the global backends', async () => {
    expect((await run(guard, new ClassPublic(), 'open')).request.context?.authBackend).toBeNull();
    expect((await run(guard, new ClassPublic(), 'reopened')).request.context?.authBackend).toBe('global');
  });

  it('@Permissions on class and method both apply', async () => {
    expect((await run(guard, new ClassPermissions(), 'classOnly')).error).toBeUndefined();
    expect((await run(guard, new ClassPermissions(), 'both')).error).toBe('permission_denied');
  });
});

/** A context of another transport: no HTTP request for the guard to read a credential from. */
function contextOf(type: string, controller: object, method: string): ExecutionContext {
  const handler = (controller as Record<string, unknown>)[method] as () => unknown;
  return {
    getType: () => type,
    getHandler: () => handler,
    getClass: () => controller.constructor,
    // A message payload, not a request: what switchToHttp().getRequest() gives in an RPC context.
    switchToHttp: () => ({ getRequest: () => ({ authorization: 'Bearer anything' }) }),
    // Arguments no reader recognises (a bare payload): no credential can be read from them.
    getArgs: () => [{ authorization: 'Bearer anything' }],
  } as unknown as ExecutionContext;
}

@Controller()
class Handlers {
  @Get() plain(): void {}
  @Public() @Get() open(): void {}
  @Auth({ guards: [AllowAny()] }) @Get() allowAny(): void {}
}

describe('WardenGuard outside HTTP: fail closed where no credential can be read', () => {
  const guard = setup([backend('global', [])]);
  const decide = (type: string, controller: object, method: string): Promise<string> =>
    Promise.resolve()
      .then(() => guard.canActivate(contextOf(type, controller, method)))
      .then(
        (allowed) => `allowed ${String(allowed)}`,
        (error: { code?: string; getStatus?: () => number; message: string }) =>
          `${error.getStatus?.() ?? 'no status'} ${error.code ?? error.message}`,
      );

  // rpc: a message without the credentials envelope is anonymous (its backends run; e2e in test/contexts).
  it.each(['ws', 'graphql', 'unknown-transport'])('%s: a handler without decorators is denied 401 credentials_missing', async (type) => {
    expect(await decide(type, new Handlers(), 'plain')).toBe('401 credentials_missing');
    // Cached plan: the second call is answered the same way.
    expect(await decide(type, new Handlers(), 'plain')).toBe('401 credentials_missing');
  });

  it.each(['ws', 'graphql'])('%s: even @Auth({ guards: [AllowAny()] }) is denied: no backend can run there', async (type) => {
    expect(await decide(type, new Handlers(), 'allowAny')).toBe('401 credentials_missing');
  });

  it.each(['rpc', 'ws', 'graphql'])('%s: a @Public() handler or a handler under a class @Public() is allowed', async (type) => {
    expect(await decide(type, new Handlers(), 'open')).toBe('allowed true');
    expect(await decide(type, new ClassPublic(), 'open')).toBe('allowed true');
  });

  it.each(['ws', 'graphql'])('%s: a method @Auth() under a class @Public() is not public, so denied', async (type) => {
    expect(await decide(type, new ClassPublic(), 'reopened')).toBe('401 credentials_missing');
  });

  it('the message names no handler and no credential (it goes to the caller)', async () => {
    const error = await Promise.resolve()
      .then(() => guard.canActivate(contextOf('unknown-transport', new Handlers(), 'plain')))
      .catch((caught: Error) => caught);
    expect((error as Error).message).toBe('Authentication credentials cannot be read from a unknown-transport request');
  });

  it('a @Permissions() under a @Public() refuses in any context (a TypeError naming the handler, never allowed)', async () => {
    @Public()
    @Controller()
    class Conflict {
      @Permissions('x') @Get() handler(): void {}
    }
    for (const type of ['rpc', 'http', 'rpc']) {
      const outcome = await Promise.resolve()
        .then(() => guard.canActivate(contextOf(type, new Conflict(), 'handler')))
        .then(
          (value) => `resolved ${String(value)}`,
          (error: Error) => `${error.constructor.name}: ${error.message}`,
        );
      expect(outcome, type).toMatch(
        /^TypeError: Conflict\.handler is public \(@Public\(\) on the class\) but has @Permissions\('x'\) on the method/,
      );
    }
  });
});
