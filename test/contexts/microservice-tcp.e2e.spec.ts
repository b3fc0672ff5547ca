import { Controller, Get, Logger, Module } from '@nestjs/common';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import type { AddressInfo, Server } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Auth, AuthModule, IsAdmin, JwtAuthentication, Public } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

/**
 * Issue 16, items 3 and 4: a message without a `withCredentials()` envelope is anonymous, so a
 * handler is denied unless it is @Public(). A hybrid app (HTTP + TCP microservice,
 * `inheritAppConfig: true`) on each HTTP adapter, a real TCP client. The envelope itself:
 * microservice-auth.e2e.spec.ts.
 */
const SECRET = 'm'.repeat(32);
const bearer = `Bearer ${hs(claims({ is_superuser: true }), SECRET)}`;

@Controller('math')
class MathController {
  readonly events: unknown[] = [];

  @MessagePattern('sum')
  sum(@Payload() numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @Public()
  @MessagePattern('ping')
  ping(): string {
    return 'pong';
  }

  @Auth({ guards: [IsAdmin()] })
  @MessagePattern({ cmd: 'admin' })
  admin(): string {
    return 'admin answer';
  }

  @EventPattern('audit')
  audit(@Payload() event: unknown): void {
    this.events.push(event);
  }

  @Public()
  @EventPattern('telemetry')
  telemetry(@Payload() event: unknown): void {
    this.events.push(event);
  }

  @Get('sum')
  httpSum(): number {
    return 3;
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] })],
  controllers: [MathController],
})
class AppModule {}

describe.each(ADAPTERS)('microservice handlers over TCP in a hybrid %s app: fail closed', (adapter) => {
  let t: TestApp | undefined;
  let client: ClientProxy | undefined;
  afterEach(async () => {
    await client?.close();
    await t?.close();
    t = client = undefined;
    vi.restoreAllMocks();
  });

  async function start(): Promise<{ warnings: string[] }> {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      app.connectMicroservice<MicroserviceOptions>(
        { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
        { inheritAppConfig: true },
      );
      await app.startAllMicroservices();
    });
    const server = t.app.getMicroservices()[0]!.unwrap<Server>();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    });
    await client.connect();
    return { warnings: warn.mock.calls.map(([message]) => String(message)) };
  }

  it('an anonymous message is refused with the error body (401 credentials_missing); a @Public() one is answered', async () => {
    await start();
    const refused = await firstValueFrom(client!.send('sum', [1, 2])).then(
      (value: unknown) => ({ value }),
      (error: unknown) => ({ error }),
    );
    expect(refused).toEqual({
      error: {
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.any(String) as string,
        code: 'credentials_missing',
      },
    });
    expect(await firstValueFrom(client!.send('ping', {}))).toBe('pong');
  });

  it('a credential inside the payload (not in the envelope) is not read: refused, even for @Auth() handlers', async () => {
    await start();
    for (const [pattern, data] of [
      ['sum', { authorization: bearer, headers: { authorization: bearer } }],
      [{ cmd: 'admin' }, { authorization: bearer }],
    ] as const) {
      const error = await firstValueFrom(client!.send(pattern, data)).then(
        () => 'answered',
        (caught: { code?: string }) => caught.code,
      );
      expect(error, JSON.stringify(pattern)).toBe('credentials_missing');
    }
  });

  it('an anonymous event does not reach its handler; a @Public() event does', async () => {
    await start();
    const controller = t!.app.get(MathController);
    client!.emit('audit', { who: 'anonymous' });
    client!.emit('telemetry', { cpu: 1 });
    // Events have no reply: wait until the public one has arrived (they travel in order on one socket).
    await vi.waitFor(() => expect(controller.events).toContainEqual({ cpu: 1 }), { timeout: 2000 });
    expect(controller.events).toEqual([{ cpu: 1 }]);
  });

  it('HTTP routes are unchanged: anonymous 401, a valid token 200', async () => {
    await start();
    const anonymous = await t!.http.get('/math/sum');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('credentials_missing');
    expect((await t!.http.get('/math/sum').set('authorization', bearer)).status).toBe(200);
  });

  it('the start-up log no longer names message handlers as closed: they receive a credential in the envelope', async () => {
    const { warnings } = await start();
    expect(warnings.filter((message) => message.includes('cannot receive a credential'))).toEqual([]);
  });
});
