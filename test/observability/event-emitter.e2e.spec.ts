import { Injectable, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthEvents, type AuthEvent } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { PASSWORD, observedModule } from './observability-app.js';

/** An app's own handlers, written as @nestjs/event-emitter users write them. */
@Injectable()
class AuthAudit {
  readonly received: Array<[string, AuthEvent]> = [];
  @OnEvent('warden.login')
  login(event: AuthEvent): void {
    this.received.push(['warden.login', event]);
  }
  @OnEvent('warden.refresh.reused')
  reused(event: AuthEvent): void {
    this.received.push(['warden.refresh.reused', event]);
  }
  @OnEvent('warden.auth.refused')
  refused(event: AuthEvent): void {
    this.received.push(['warden.auth.refused', event]);
  }
}

/** Issue 18, item 1: with @nestjs/event-emitter in the app, every event is also emitted there as warden.<type>. */
describe.each(ADAPTERS)('AuthEvents through @nestjs/event-emitter (%s)', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('@OnEvent handlers receive warden.login, warden.refresh.reused, warden.auth.refused', async () => {
    const metadata = observedModule({}, [EventEmitterModule.forRoot() as DynamicModule]);
    t = await startApp(adapter, { ...metadata, providers: [AuthAudit] });
    const audit = t.app.get(AuthAudit);
    const pair = (await t.http.post('/login').send({ username: 'ada', password: PASSWORD })).body;
    expect((await t.http.post('/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(200);
    expect((await t.http.post('/refresh').send({ refresh_token: pair.refresh_token })).body.code).toBe('token_reused');
    expect(audit.received.map(([name]) => name)).toEqual(['warden.login', 'warden.refresh.reused', 'warden.auth.refused']);
    expect(audit.received[0]![1]).toMatchObject({ type: 'login', userId: 'ada' });
    expect(audit.received[2]![1]).toMatchObject({ type: 'auth.refused', code: 'token_reused' });
  });

  it('without EventEmitterModule nothing is subscribed: the events stay inactive', async () => {
    t = await startApp(adapter, observedModule());
    expect(t.app.get(AuthEvents).active).toBe(false);
  });
});
