import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthModule, CurrentUser, JwtAuthentication, type RequestContext, type UserLoader } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

const SECRET = 'an-async-configured-secret-of-32-bytes+';

@Injectable()
class SettingsService {
  readonly jwtSecret = SECRET;
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

/** A userLoader given as an injectable provider, with its own dependency. */
@Injectable()
class UsersLoader implements UserLoader {
  calls = 0;
  constructor(private readonly settings: SettingsService) {}
  loadUser(context: RequestContext): { id: string | null; secretLength: number } {
    this.calls++;
    return { id: context.userId, secretLength: this.settings.jwtSecret.length };
  }
}

@Controller()
class MeController {
  @Get('me')
  me(@CurrentUser() user: unknown): unknown {
    return user;
  }
}

@Module({
  imports: [
    SettingsModule,
    AuthModule.forRootAsync({
      imports: [SettingsModule],
      inject: [SettingsService],
      useFactory: (settings: SettingsService) => ({
        authentication: [new JwtAuthentication({ secret: settings.jwtSecret, algorithms: ['HS256'] })],
        userLoader: UsersLoader,
      }),
    }),
  ],
  controllers: [MeController],
  providers: [UsersLoader],
})
class AsyncAppModule {}

@Module({
  imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] })],
  controllers: [MeController],
})
class NoLoaderModule {}

describe.each(ADAPTERS)('forRootAsync and user loading (%s)', (adapter) => {
  let t: TestApp;
  let plain: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [AsyncAppModule] });
    plain = await startApp(adapter, { imports: [NoLoaderModule] });
  });
  afterAll(async () => {
    await t.close();
    await plain.close();
  });

  it('builds the options from injected providers and loads the user through an injectable loader', async () => {
    const res = await t.http.get('/me').set('authorization', `Bearer ${hs(claims({ sub: 'u1' }), SECRET)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'u1', secretLength: SECRET.length });
    expect(t.app.get(UsersLoader).calls).toBe(1);
    expect((await t.http.get('/me')).body.code).toBe('credentials_missing');
  });

  it('without a loader, @CurrentUser() is the user built from the claims', async () => {
    const token = hs(claims({ sub: 'u2', username: 'ann', is_staff: true, permissions: ['x'] }), SECRET);
    const res = await plain.http.get('/me').set('authorization', `Bearer ${token}`);
    expect(res.body).toEqual({ id: 'u2', username: 'ann', isStaff: true, isSuperuser: false, permissions: ['x'] });
  });
});
