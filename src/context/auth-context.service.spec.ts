import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpAdapterHost } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { AuthModuleOptions } from '../auth.options.js';
import { AuthContextService } from './auth-context.service.js';
import type { AuthRequest } from './auth-request.interface.js';
import { anonymousContext } from './request-context.js';

const requestOf = (userId: string | null, authBackend: string | null = 'jwt', user?: unknown): AuthRequest =>
  ({ context: { ...anonymousContext(), userId, authBackend }, user: Promise.resolve(user) }) as unknown as AuthRequest;

const hostOf = (server: unknown): HttpAdapterHost => ({ httpAdapter: { getHttpServer: () => server } }) as unknown as HttpAdapterHost;

describe('AuthContextService', () => {
  it('reads nothing outside a request', async () => {
    const service = new AuthContextService();
    expect(service.request).toBeUndefined();
    expect(service.context).toBeUndefined();
    expect(service.userId).toBeNull();
    expect(await service.getUser()).toBeNull();
  });

  it('run() scopes a request across awaits, timers and nesting, and ends with the callback', async () => {
    const service = new AuthContextService();
    const seen = await service.run(requestOf('alice'), async () => {
      await sleep(1);
      const inner = service.run(requestOf('bob'), () => service.userId);
      const later = await new Promise((resolve) => setTimeout(() => resolve(service.userId), 1));
      return [service.userId, inner, later];
    });
    expect(seen).toEqual(['alice', 'bob', 'alice']);
    expect(service.userId).toBeNull();
  });

  it('enter() holds for the rest of the async flow it is called in, and not for a sibling flow', async () => {
    const service = new AuthContextService();
    const flow = async (userId: string): Promise<(string | null)[]> => {
      await sleep(1);
      service.enter(requestOf(userId));
      const first = service.userId;
      await sleep(2);
      return [first, service.userId];
    };
    expect(await Promise.all([flow('alice'), flow('bob')])).toEqual([
      ['alice', 'alice'],
      ['bob', 'bob'],
    ]);
    expect(service.userId).toBeNull();
  });

  it('getUser() gives the lazy user of an authenticated request, null for an anonymous one', async () => {
    const service = new AuthContextService();
    expect(await service.run(requestOf('alice', 'jwt', { id: 'alice' }), () => service.getUser())).toEqual({ id: 'alice' });
    expect(await service.run(requestOf(null, null, { id: 'ghost' }), () => service.getUser())).toBeNull();
  });

  it("clears the previous request at each server 'request' event, first, and stops at shutdown", async () => {
    const server = new EventEmitter();
    const service = new AuthContextService({} as AuthModuleOptions, hostOf(server));
    const adapterListener = (): void => undefined;
    server.on('request', adapterListener);
    service.onApplicationBootstrap();
    expect(server.listeners('request')).toHaveLength(2);
    expect(server.listeners('request')[1]).toBe(adapterListener);
    const seen = await service.run(requestOf('alice'), async () => {
      await sleep(1);
      server.emit('request');
      return service.userId;
    });
    expect(seen).toBeNull();
    service.onApplicationShutdown();
    expect(server.listeners('request')).toEqual([adapterListener]);
  });

  it('boots without an HTTP server (an application context, a microservice)', () => {
    expect(() => new AuthContextService({} as AuthModuleOptions, hostOf(undefined)).onApplicationBootstrap()).not.toThrow();
    expect(() => new AuthContextService().onApplicationBootstrap()).not.toThrow();
  });

  it('contextStorage: false: enter() does not throw, every read throws a TypeError naming the option, no listener', async () => {
    const server = new EventEmitter();
    const service = new AuthContextService({ contextStorage: false } as AuthModuleOptions, hostOf(server));
    service.onApplicationBootstrap();
    expect(server.listenerCount('request')).toBe(0);
    service.enter(requestOf('alice'));
    for (const read of [() => service.request, () => service.context, () => service.userId, () => service.run(requestOf('a'), () => 1)]) {
      expect(read).toThrow(TypeError);
      expect(read).toThrow('AuthModule is configured with `contextStorage: false`');
    }
    await expect(service.getUser()).rejects.toThrow(TypeError);
  });
});
