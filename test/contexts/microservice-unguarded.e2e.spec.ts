import type { AddressInfo, Server } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import { ClientProxyFactory, MessagePattern, Payload, Transport, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Auth,
  AuthContext,
  AuthModule,
  IsAdmin,
  JwtAuthentication,
  securityReport,
  withCredentials,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

/**
 * Issue 16, item 4, what happens precisely: Nest gives a microservice connected without
 * `{ inheritAppConfig: true }` a configuration of its own, without the app's APP_GUARD, and a
 * module cannot reach it (the app object holds it). Its handlers run for anyone, the envelope
 * is not unwrapped, no context is set. securityReport(app) flags every such handler.
 */
const SECRET = 'u'.repeat(32);
const bearer = `Bearer ${hs(claims(), SECRET)}`;

@Controller()
class WhoController {
  @Auth({ guards: [IsAdmin()] })
  @MessagePattern('whoami')
  whoami(@Payload() data: unknown, @AuthContext() context: RequestContext | null): unknown {
    return { data, context };
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] })],
  controllers: [WhoController],
})
class AppModule {}

describe.each(ADAPTERS)('a microservice connected without { inheritAppConfig: true } in a hybrid %s app', (adapter) => {
  let t: TestApp | undefined;
  let client: ClientProxy | undefined;
  afterEach(async () => {
    await client?.close();
    await t?.close();
    t = client = undefined;
  });

  async function start(inheritAppConfig: boolean): Promise<void> {
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      app.connectMicroservice<MicroserviceOptions>(
        { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
        { inheritAppConfig },
      );
      await app.startAllMicroservices();
    });
    const port = (t.app.getMicroservices()[0]!.unwrap<Server>().address() as AddressInfo).port;
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
  }

  it('is not guarded: an anonymous call to an @Auth({ guards: [IsAdmin()] }) handler runs, the envelope reaches it whole', async () => {
    await start(false);
    expect(await firstValueFrom(client!.send('whoami', { n: 1 }))).toEqual({ data: { n: 1 }, context: null });
    expect(await firstValueFrom(client!.send('whoami', withCredentials({ n: 1 }, bearer)))).toEqual({
      data: { $warden: { authorization: bearer }, data: { n: 1 } },
      context: null,
    });
    const report = await securityReport(t!.app);
    expect(report.map((entry) => entry.warnings)).toEqual([[expect.stringContaining('without { inheritAppConfig: true }') as string]]);
  });

  it('with { inheritAppConfig: true } the same handler is guarded and the report has no warning', async () => {
    await start(true);
    const refused = await firstValueFrom(client!.send('whoami', { n: 1 })).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    expect(refused).toBe('credentials_missing');
    expect((await securityReport(t!.app)).map((entry) => entry.warnings)).toEqual([[]]);
  });
});
