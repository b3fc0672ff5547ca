import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpAdapterHost } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { AuthModuleOptions } from '../auth.options.js';
import { AuthContextService } from './auth-context.service.js';
import { ContextStorage } from './context-storage.js';
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
    const storage = new ContextStorage();
    const service = new AuthContextService(storage);
    const flow = async (userId: string): Promise<(string | null)[]> => {
      await sleep(1);
      storage.enter(requestOf(userId));
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
    const storage = new ContextStorage({} as AuthModuleOptions, hostOf(server));
    const service = new AuthContextService(storage);
    const adapterListener = (): void => undefined;
    server.on('request', adapterListener);
    storage.onApplicationBootstrap();
    expect(server.listeners('request')).toHaveLength(2);
    expect(server.listeners('request')[1]).toBe(adapterListener);
    const seen = await service.run(requestOf('alice'), async () => {
      await sleep(1);
      server.emit('request');
      return service.userId;
    });
    expect(seen).toBeNull();
    storage.onApplicationShutdown();
    expect(server.listeners('request')).toEqual([adapterListener]);
  });

  it('boots without an HTTP server (an application context, a microservice)', () => {
    expect(() => new ContextStorage({} as AuthModuleOptions, hostOf(undefined)).onApplicationBootstrap()).not.toThrow();
    expect(() => new ContextStorage().onApplicationBootstrap()).not.toThrow();
  });

  it('contextStorage: false: enter() does not throw, every read throws a TypeError naming the option, no listener', async () => {
    const server = new EventEmitter();
    const storage = new ContextStorage({ contextStorage: false } as AuthModuleOptions, hostOf(server));
    const service = new AuthContextService(storage);
    storage.decide(['AuditService']);
    storage.onApplicationBootstrap();
    expect(server.listenerCount('request')).toBe(0);
    storage.enter(requestOf('alice'));
    for (const read of [() => service.request, () => service.context, () => service.userId, () => service.run(requestOf('a'), () => 1)]) {
      expect(read).toThrow(TypeError);
      expect(read).toThrow('AuthModule is configured with `contextStorage: false`');
    }
    await expect(service.getUser()).rejects.toThrow(TypeError);
  });

  it('contextStorage left out: on when some class injects the service, else off with a TypeError naming contextStorage: true', () => {
    const server = new EventEmitter();
    const unused = new ContextStorage({} as AuthModuleOptions, hostOf(server));
    unused.decide([]);
    unused.onApplicationBootstrap();
    expect(unused.enabled).toBe(false);
    expect(server.listenerCount('request')).toBe(0);
    unused.enter(requestOf('alice'));
    expect(() => new AuthContextService(unused).userId).toThrow(/no class of the app injected AuthContextService.*`contextStorage: true`/);

    const read = new ContextStorage({} as AuthModuleOptions, hostOf(server));
    read.decide(['AuditService']);
    expect(read.enabled).toBe(true);
    const service = new AuthContextService(read);
    expect(service.run(requestOf('alice'), () => service.userId)).toBe('alice');
  });

  it('contextStorage: true stays on with no reader found', () => {
    const storage = new ContextStorage({ contextStorage: true } as AuthModuleOptions);
    storage.decide([]);
    expect(storage.enabled).toBe(true);
  });
});
