import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { formatSecurityReport, securityReport } from 'nestjs-warden';
import { afterEach, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';
import { connectReportsService } from '../../sample/src/microservice/reports.microservice.js';
import { configureSample } from '../../sample/src/setup.js';
import { startApp, type TestApp } from '../utils/app.js';

/**
 * Issue 17: the whole sample's route security report, committed as a snapshot: an HTTP route,
 * GraphQL field, socket.io message or microservice pattern that opens up (or loses a guard)
 * changes the snapshot and shows in review. The app is built as main.ts builds it (Express,
 * sessions, the microservice connected with inheritAppConfig).
 */
describe("the sample's security report (express)", () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('protects every handler as reviewed', async () => {
    t = await startApp('express', { imports: [AppModule] }, async (app) => {
      await configureSample(app);
      await connectReportsService(app);
    });
    const report = await securityReport(t.app);
    expect(formatSecurityReport(report)).toMatchSnapshot();

    // What the snapshot must keep saying, spelled out: these and only these are public…
    expect(
      report
        .filter((entry) => entry.public)
        .map((entry) => `${entry.transport} ${entry.route}`)
        .sort(),
    ).toEqual(
      [
        'graphql Query.hello',
        'http GET /',
        'http GET /hello',
        'http POST /auth/login',
        'http POST /auth/logout',
        'http POST /auth/refresh',
        'http POST /session/login',
        'http POST /web/login',
        'http POST /web/logout',
        'http POST /web/refresh',
        'ws message "ping"',
      ].sort(),
    );
    // …every transport is listed, and no handler carries a warning (the microservice inherits the guard).
    expect(new Set(report.map((entry) => entry.transport))).toEqual(new Set(['http', 'graphql', 'ws', 'rpc']));
    expect(report.filter((entry) => entry.warnings.length > 0)).toEqual([]);
    expect(report.find((entry) => entry.transport === 'rpc')).toMatchObject({ public: false, permissions: ['reports:read'] });
  });

  it('would show a microservice connected without inheritAppConfig (a "!" warning under its pattern)', async () => {
    t = await startApp('express', { imports: [AppModule] }, (app) => {
      app.connectMicroservice<MicroserviceOptions>({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } });
    });
    const text = formatSecurityReport(await securityReport(t.app));
    expect(text).toMatch(/rpc message "reports\.get" .*\n\s*! .*inheritAppConfig/);
  });
});
