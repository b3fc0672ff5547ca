import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Logger, Module } from '@nestjs/common';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiKeyAuthentication,
  Auth,
  AuthContext,
  AuthContextService,
  AuthModule,
  CurrentUser,
  IsAdmin,
  JwtAuthentication,
  Permissions,
  Public,
  withCredentials,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../utils/app.js';
import { useRedis } from '../utils/redis.js';
import { b64, claims, hs, now } from '../utils/tokens.js';

/**
 * Issue 16, item 3: microservice handlers under the same decorators, the credential in a
 * `withCredentials()` envelope. A hybrid app (HTTP + microservice, `inheritAppConfig: true`)
 * on each HTTP adapter, over TCP and over Redis, with real `ClientProxy` clients.
 */
const SECRET = 'r'.repeat(32);
const API_KEY = 'k'.repeat(40);
// Redis channels are shared by every process using that server: this run's patterns are its own.
const P = `warden-${randomUUID().slice(0, 8)}`;
const token = (extra: Record<string, unknown> = {}): string => hs(claims(extra), SECRET);
const bearer = (extra: Record<string, unknown> = {}): string => `Bearer ${token(extra)}`;

interface Echo {
  data: unknown;
  user: string | null;
  context: string | null;
  service: string | null;
}

@Controller()
class OrdersController {
  readonly ran: string[] = [];
  readonly events: { event: unknown; user: string | null }[] = [];

  constructor(private readonly auth: AuthContextService) {}

  @MessagePattern(`${P}.echo`)
  async echo(@Payload() data: unknown, @CurrentUser() user: { id: string } | null, @AuthContext() context: RequestContext): Promise<Echo> {
    // Other messages are handled meanwhile: each must still see its own identity afterwards.
    await sleep(Math.floor(Math.random() * 15));
    return { data, user: user?.id ?? null, context: context.userId, service: this.auth.userId };
  }

  @Public()
  @MessagePattern(`${P}.public`)
  open(@Payload() data: unknown, @AuthContext() context: RequestContext): unknown {
    return { data, user: context.userId };
  }

  @Permissions('orders:delete')
  @MessagePattern(`${P}.delete`)
  remove(): string {
    this.ran.push('delete');
    return 'deleted';
  }

  @Auth({ guards: [IsAdmin()] })
  @MessagePattern({ cmd: `${P}.admin` })
  admin(): string {
    this.ran.push('admin');
    return 'admin answer';
  }

  @Auth({ authentication: [new ApiKeyAuthentication({ keys: { [API_KEY]: { name: 'billing' } } })] })
  @MessagePattern(`${P}.service`)
  service(@AuthContext() context: RequestContext): string | null {
    return context.userId;
  }

  @EventPattern(`${P}.audit`)
  audit(@Payload() event: unknown, @AuthContext() context: unknown): void {
    this.events.push({ event, user: (context as RequestContext).userId });
  }

  @Public()
  @EventPattern(`${P}.telemetry`)
  telemetry(@Payload() event: unknown): void {
    this.events.push({ event, user: null });
  }
}

/** Class-level decorators: a class @Permissions() applies to each handler; a class @Public() yields to a method @Auth(). */
@Permissions('reports:read')
@Controller()
class ReportsController {
  @MessagePattern(`${P}.report`)
  report(): string {
    return 'report';
  }
}

@Public()
@Controller()
class OpenController {
  @MessagePattern(`${P}.open`)
  open(): string {
    return 'open';
  }

  @Auth({ guards: [IsAdmin()] })
  @MessagePattern(`${P}.locked`)
  locked(): string {
    return 'locked';
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] })],
  controllers: [OrdersController, ReportsController, OpenController],
})
class AppModule {}

type TransportName = 'tcp' | 'redis';
const CASES: [TransportName, AdapterName][] = (['tcp', 'redis'] as const).flatMap((transport) =>
  ADAPTERS.map((adapter): [TransportName, AdapterName] => [transport, adapter]),
);

let redis: { url: string; close(): Promise<void> } | undefined;
beforeAll(async () => {
  redis = await useRedis();
});
afterAll(async () => {
  await redis?.close();
});

function redisOptions(): { host: string; port: number } {
  const url = new URL(redis!.url);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

describe.each(CASES)('microservice handlers over %s in a hybrid %s app: the withCredentials() envelope', (transport, adapter) => {
  let t: TestApp | undefined;
  let client: ClientProxy | undefined;
  afterEach(async () => {
    await client?.close();
    await t?.close();
    t = client = undefined;
    vi.restoreAllMocks();
  });

  async function start(): Promise<void> {
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      app.connectMicroservice<MicroserviceOptions>(
        transport === 'tcp'
          ? { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } }
          : { transport: Transport.REDIS, options: redisOptions() },
        { inheritAppConfig: true },
      );
      await app.startAllMicroservices();
    });
    client =
      transport === 'tcp'
        ? ClientProxyFactory.create({
            transport: Transport.TCP,
            options: { host: '127.0.0.1', port: (t.app.getMicroservices()[0]!.unwrap<Server>().address() as AddressInfo).port },
          })
        : ClientProxyFactory.create({ transport: Transport.REDIS, options: redisOptions() });
    await client.connect();
  }

  /** The answer, or the error body the client received. */
  function call(pattern: string | object, data: unknown): Promise<{ value: unknown } | { error: unknown }> {
    return firstValueFrom(client!.send(pattern, data)).then(
      (value: unknown) => ({ value }),
      (error: unknown) => ({ error }),
    );
  }

  async function code(pattern: string | object, data: unknown): Promise<unknown> {
    const answer = await call(pattern, data);
    return 'error' in answer ? (answer.error as { code?: unknown }).code : answer;
  }

  it('a valid token is accepted: the handler gets the inner data, @CurrentUser(), @AuthContext() and AuthContextService', async () => {
    await start();
    expect(await call(`${P}.echo`, withCredentials({ n: 1 }, bearer({ sub: 'alice' })))).toEqual({
      value: { data: { n: 1 }, user: 'alice', context: 'alice', service: 'alice' },
    });
    // Payloads of every JSON type survive the unwrap.
    for (const data of [[1, 2], 'text', 0, null, false, { $nested: { $warden: 'inner is data' } }]) {
      const answer = await call(`${P}.echo`, withCredentials(data, bearer()));
      expect(answer, JSON.stringify(data)).toEqual({ value: { data, user: '42', context: '42', service: '42' } });
    }
  });

  it('no envelope, or a credential inside the payload, is anonymous: 401 credentials_missing with the error body', async () => {
    await start();
    expect(await call(`${P}.echo`, { n: 1 })).toEqual({
      error: { statusCode: 401, error: 'Unauthorized', message: expect.any(String) as string, code: 'credentials_missing' },
    });
    expect(await code(`${P}.echo`, { authorization: bearer(), headers: { authorization: bearer() } })).toBe('credentials_missing');
    expect(await code({ cmd: `${P}.admin` }, {})).toBe('credentials_missing');
  });

  it('attacks in the envelope: forged, expired, alg none, oversized, another scheme, a token twice', async () => {
    await start();
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims({ is_superuser: true }))}.`;
    const rows: [string, unknown][] = [
      ['token_invalid', withCredentials(1, `Bearer ${hs(claims({ is_superuser: true }), 'x'.repeat(32))}`)],
      ['token_expired', withCredentials(1, bearer({ iat: now() - 120, exp: now() - 60 }))],
      ['token_invalid', withCredentials(1, `Bearer ${none}`)],
      ['token_malformed', withCredentials(1, `Bearer ${'a'.repeat(9000)}`)],
      ['token_malformed', { $warden: { authorization: `Bearer ${'a'.repeat(20_000)}` }, data: 1 }],
      ['token_malformed', withCredentials(1, 'Bearer')],
      ['token_malformed', withCredentials(1, `Bearer  ${token()}`)],
      ['credentials_missing', withCredentials(1, `Basic ${Buffer.from('a:b').toString('base64')}`)],
      ['invalid_request', { $warden: { Authorization: bearer(), authorization: bearer() }, data: 1 }],
    ];
    for (const [expected, message] of rows) {
      expect(await code(`${P}.echo`, message), JSON.stringify(message).slice(0, 120)).toBe(expected);
      expect(await code({ cmd: `${P}.admin` }, message), JSON.stringify(message).slice(0, 120)).toBe(expected);
    }
    expect(t!.app.get(OrdersController).ran).toEqual([]);
  });

  it('an envelope of the wrong shape is 401 token_malformed, never a 500 and never accepted; a @Public() handler still gets its data', async () => {
    await start();
    const valid = bearer({ is_superuser: true });
    const shapes: unknown[] = [
      { $warden: 'x', data: 1 },
      { $warden: valid, data: 1 },
      { $warden: 7, data: 1 },
      { $warden: null, data: 1 },
      { $warden: true, data: 1 },
      { $warden: [valid], data: 1 },
      { $warden: [], data: 1 },
      { $warden: { authorization: 7 }, data: 1 },
      { $warden: { authorization: [valid] }, data: 1 },
      { $warden: { authorization: { value: valid } }, data: 1 },
      { $warden: { authorization: null }, data: 1 },
      { $warden: { authorization: '' }, data: 1 },
      { $warden: { authorization: valid, 'bad name': 'x' }, data: 1 },
      { $warden: { authorization: valid }, data: 1, extra: { authorization: valid } },
      { $warden: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`h${i}`, 'v'])), data: 1 },
    ];
    for (const message of shapes) {
      expect(await code(`${P}.echo`, message), JSON.stringify(message).slice(0, 100)).toBe('token_malformed');
      expect(await code({ cmd: `${P}.admin` }, message), JSON.stringify(message).slice(0, 100)).toBe('token_malformed');
      expect(await call(`${P}.public`, message), JSON.stringify(message).slice(0, 100)).toEqual({ value: { data: 1, user: null } });
    }
    // `__proto__` as a header name is a plain name: no credential, nothing polluted.
    expect(await code(`${P}.echo`, JSON.parse(`{"$warden":{"__proto__":${JSON.stringify(valid)}},"data":1}`))).toBe('credentials_missing');
    expect(({} as Record<string, unknown>).authorization).toBeUndefined();
    expect(t!.app.get(OrdersController).ran).toEqual([]);
  });

  it('@Public() handlers take a bare payload unchanged and an envelope unwrapped (anonymous context)', async () => {
    await start();
    expect(await call(`${P}.public`, { n: 1 })).toEqual({ value: { data: { n: 1 }, user: null } });
    expect(await call(`${P}.public`, withCredentials({ n: 2 }, bearer()))).toEqual({ value: { data: { n: 2 }, user: null } });
  });

  it('@Permissions() without the permission: 403 permission_denied and the handler does not run; with it, it runs', async () => {
    await start();
    const controller = t!.app.get(OrdersController);
    expect(await call(`${P}.delete`, withCredentials(1, bearer({ permissions: ['orders:read'] })))).toEqual({
      error: { statusCode: 403, error: 'Forbidden', message: expect.any(String) as string, code: 'permission_denied' },
    });
    expect(await code({ cmd: `${P}.admin` }, withCredentials(1, bearer()))).toBe('permission_denied');
    expect(controller.ran).toEqual([]);
    expect(await call(`${P}.delete`, withCredentials(1, bearer({ permissions: ['orders:delete'] })))).toEqual({ value: 'deleted' });
    expect(await call({ cmd: `${P}.admin` }, withCredentials(1, bearer({ is_superuser: true })))).toEqual({ value: 'admin answer' });
    expect(controller.ran).toEqual(['delete', 'admin']);
  });

  it('class-level decorators: a class @Permissions() applies, a method @Auth() under a class @Public() closes that method', async () => {
    await start();
    expect(await code(`${P}.report`, withCredentials(1, bearer()))).toBe('permission_denied');
    expect(await call(`${P}.report`, withCredentials(1, bearer({ permissions: ['reports:read'] })))).toEqual({ value: 'report' });
    expect(await call(`${P}.open`, {})).toEqual({ value: 'open' });
    expect(await code(`${P}.locked`, {})).toBe('credentials_missing');
    expect(await code(`${P}.locked`, withCredentials(1, bearer()))).toBe('permission_denied');
    expect(await call(`${P}.locked`, withCredentials(1, bearer({ is_superuser: true })))).toEqual({ value: 'locked' });
  });

  it("a handler's own backend: an API key in the envelope by header name", async () => {
    await start();
    expect(await call(`${P}.service`, withCredentials(1, { 'x-api-key': API_KEY }))).toEqual({ value: expect.any(String) as string });
    expect(await code(`${P}.service`, withCredentials(1, { 'x-api-key': 'wrong'.repeat(8) }))).toBe('api_key_invalid');
    // The JWT backend is not this handler's: a valid token is no credential here.
    expect(await code(`${P}.service`, withCredentials(1, bearer()))).toBe('credentials_missing');
  });

  it('200 concurrent messages from 20 users: each sees only its own identity in @CurrentUser(), @AuthContext() and AuthContextService', async () => {
    await start();
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const messages = Array.from({ length: 200 }, (_, i) => {
      const user = users[i % users.length]!;
      // Every fifth message is anonymous to a public handler: it must not inherit the previous caller.
      if (i % 5 === 4) return call(`${P}.public`, { i }).then((answer) => ({ i, user: null, answer }));
      return call(`${P}.echo`, withCredentials({ i }, bearer({ sub: user }))).then((answer) => ({ i, user, answer }));
    });
    const answers = await Promise.all(messages);
    const wrong = answers.filter(({ i, user, answer }) =>
      user === null
        ? JSON.stringify(answer) !== JSON.stringify({ value: { data: { i }, user: null } })
        : JSON.stringify(answer) !== JSON.stringify({ value: { data: { i }, user, context: user, service: user } }),
    );
    expect(wrong).toEqual([]);
  });

  it('events: a refused one is logged (pattern and code, never the token) and its handler does not run; a valid one runs', async () => {
    await start();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const controller = t!.app.get(OrdersController);
    const forged = `Bearer ${hs(claims({ sub: 'mallory' }), 'x'.repeat(32))}`;
    client!.emit(`${P}.audit`, { who: 'anonymous' });
    client!.emit(`${P}.audit`, withCredentials({ who: 'forged' }, forged));
    client!.emit(`${P}.audit`, { $warden: 'x', data: { who: 'malformed' } });
    client!.emit(`${P}.audit`, withCredentials({ who: 'bob' }, bearer({ sub: 'bob' })));
    client!.emit(`${P}.telemetry`, { cpu: 1 });
    await vi.waitFor(
      () => {
        expect(controller.events).toHaveLength(2);
        expect(warn.mock.calls.filter(([line]) => String(line).startsWith(`Event ${P}.audit refused`))).toHaveLength(3);
      },
      { timeout: 3000 },
    );
    expect(controller.events).toEqual(
      expect.arrayContaining([
        { event: { who: 'bob' }, user: 'bob' },
        { event: { cpu: 1 }, user: null },
      ]),
    );
    const lines = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith(`Event ${P}.audit refused`));
    expect(lines.some((line) => line.includes('401 credentials_missing'))).toBe(true);
    expect(lines.some((line) => line.includes('401 token_invalid'))).toBe(true);
    expect(lines.some((line) => line.includes('401 token_malformed'))).toBe(true);
    expect(lines.join('\n')).not.toContain(forged.slice(7, 40));
  });
});
