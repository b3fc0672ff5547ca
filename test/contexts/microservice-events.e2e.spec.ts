import type { AddressInfo, Server as NetServer } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import {
  BaseRpcContext,
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  Server,
  Transport,
  type ClientProxy,
  type CustomTransportStrategy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom, isObservable, type Observable } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthContext, AuthModule, JwtAuthentication, Public, withCredentials, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

/**
 * Review findings 1 and 10: the carrier of a microservice message is kept on the transport's
 * context object. Every `@EventPattern` handler of one event gets the same message and context
 * object: each must receive the unwrapped payload, never the envelope (with its bearer token).
 * A transport that hands one context object to every message must never lend a caller's
 * identity to the next message.
 */
const SECRET = 'e'.repeat(32);
const bearer = (sub: string): string => `Bearer ${hs(claims({ sub }), SECRET)}`;

type Seen = [handler: string, payload: unknown, user: string | null];

@Controller()
class AuditOne {
  static readonly seen: Seen[] = [];

  @EventPattern('audit')
  one(@Payload() event: unknown, @AuthContext() context: unknown): void {
    AuditOne.seen.push(['one', event, (context as RequestContext).userId]);
  }

  @Public()
  @EventPattern('metrics')
  open(@Payload() event: unknown): void {
    AuditOne.seen.push(['open', event, null]);
  }
}

@Controller()
class AuditTwo {
  @EventPattern('audit')
  two(@Payload() event: unknown, @AuthContext() context: unknown): void {
    AuditOne.seen.push(['two', event, (context as RequestContext).userId]);
  }

  @EventPattern('metrics')
  guarded(@Payload() event: unknown, @AuthContext() context: unknown): void {
    AuditOne.seen.push(['guarded', event, (context as RequestContext).userId]);
  }

  @MessagePattern('who')
  who(@Payload() data: unknown, @AuthContext() context: RequestContext): { data: unknown; user: string | null } {
    return { data, user: context.userId };
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] })],
  controllers: [AuditOne, AuditTwo],
})
class AppModule {}

/** An in-process transport that hands the very same context object to every message (as a custom transport may). */
class ReusingTransport extends Server implements CustomTransportStrategy {
  private readonly context = new BaseRpcContext<unknown[]>(['shared']);

  listen(callback: () => void): void {
    callback();
  }
  close(): void {}
  on(): void {}
  unwrap<T>(): T {
    return this as unknown as T;
  }

  /** Sends a message to its handler with the shared context; resolves with the reply, rejects with the error body. */
  async request(pattern: string, data: unknown): Promise<unknown> {
    const handler = this.getHandlerByPattern(pattern);
    if (handler === undefined || handler === null) throw new Error(`no handler for ${pattern}`);
    const result: unknown = await handler(data, this.context);
    return isObservable(result) ? firstValueFrom(result as Observable<unknown>) : result;
  }
}

const answer = (promise: Promise<unknown>): Promise<{ value: unknown } | { error: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe.each(ADAPTERS)('microservice calls sharing a context object, in a hybrid %s app', (adapter) => {
  let t: TestApp | undefined;
  let client: ClientProxy | undefined;
  afterEach(async () => {
    await client?.close();
    await t?.close();
    t = client = undefined;
    AuditOne.seen.length = 0;
  });

  it('two @EventPattern handlers of one event: each gets the unwrapped payload and the caller, never the envelope', async () => {
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      app.connectMicroservice<MicroserviceOptions>(
        { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
        { inheritAppConfig: true },
      );
      await app.startAllMicroservices();
    });
    const server = t.app.getMicroservices()[0]!.unwrap<NetServer>();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    });
    await client.connect();
    client.emit('audit', withCredentials({ x: 1 }, bearer('alice')));
    // A @Public() handler and a guarded one of the same event.
    client.emit('metrics', withCredentials({ cpu: 2 }, bearer('bob')));
    await vi.waitFor(() => expect(AuditOne.seen).toHaveLength(4), { timeout: 3000 });
    expect(AuditOne.seen).toEqual(
      expect.arrayContaining([
        ['one', { x: 1 }, 'alice'],
        ['two', { x: 1 }, 'alice'],
        ['open', { cpu: 2 }, null],
        ['guarded', { cpu: 2 }, 'bob'],
      ]),
    );
    expect(JSON.stringify(AuditOne.seen)).not.toContain('$warden');
    expect(JSON.stringify(AuditOne.seen)).not.toContain('Bearer');
    // Anonymous: the guarded handlers do not run, the public one does.
    client.emit('audit', { x: 3 });
    client.emit('metrics', { cpu: 4 });
    await vi.waitFor(() => expect(AuditOne.seen).toHaveLength(5), { timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(AuditOne.seen.slice(4)).toEqual([['open', { cpu: 4 }, null]]);
  });

  it("a transport reusing one context object: each message is judged on its own credential, never the previous caller's", async () => {
    const transport = new ReusingTransport();
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      app.connectMicroservice<MicroserviceOptions>({ strategy: transport }, { inheritAppConfig: true });
      await app.startAllMicroservices();
    });
    const refused = { error: expect.objectContaining({ statusCode: 401, code: 'credentials_missing' }) as unknown };
    expect(await answer(transport.request('who', withCredentials({ n: 1 }, bearer('alice'))))).toEqual({
      value: { data: { n: 1 }, user: 'alice' },
    });
    expect(await answer(transport.request('who', { n: 2 }))).toEqual(refused);
    // A primitive payload: the next bare message equal to it is not the same call.
    expect(await answer(transport.request('who', withCredentials(5, bearer('alice'))))).toEqual({ value: { data: 5, user: 'alice' } });
    expect(await answer(transport.request('who', 5))).toEqual(refused);
    expect(await answer(transport.request('who', withCredentials('x', bearer('bob'))))).toEqual({ value: { data: 'x', user: 'bob' } });
    expect(await answer(transport.request('who', withCredentials({ n: 3 }, 'Bearer forged')))).toEqual({
      error: expect.objectContaining({ statusCode: 401, code: 'token_malformed' }) as unknown,
    });
    expect(await answer(transport.request('who', 'x'))).toEqual(refused);
  });
});
