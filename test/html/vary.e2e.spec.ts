import { Controller, Get, Injectable, Module, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthModule, JwtAuthentication } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

/**
 * Review finding 9: with `loginRedirect`, a 401 varies on `Accept` (a browser is redirected, an
 * API client gets JSON). That must be added to the response's `Vary`, never replace it: a CORS
 * layer's `Vary: Origin` kept, or a cache would serve one origin's answer (with its
 * `Access-Control-Allow-Origin`) to another.
 */
const SECRET = 'vary-secret-vary-secret-vary-secret-vary!';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

@Controller()
class PagesController {
  @Get('dashboard')
  dashboard(): { ok: true } {
    return { ok: true };
  }

  @Get('compressed/page')
  compressed(): { ok: true } {
    return { ok: true };
  }

  @Get('star/page')
  star(): { ok: true } {
    return { ok: true };
  }

  @Get('accept/page')
  accept(): { ok: true } {
    return { ok: true };
  }
}

/** A middleware that sets a `Vary` of its own before the guard runs (as compression or i18n layers do). */
@Injectable()
class VaryMiddleware implements NestMiddleware {
  use(request: { url?: string; originalUrl?: string }, response: { setHeader(name: string, value: string): void }, next: () => void): void {
    const url = request.originalUrl ?? request.url ?? '';
    if (url.startsWith('/compressed')) response.setHeader('Vary', 'Accept-Encoding, Origin');
    if (url.startsWith('/star')) response.setHeader('Vary', '*');
    if (url.startsWith('/accept')) response.setHeader('Vary', 'accept');
    next();
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
      loginRedirect: { url: '/login' },
    }),
  ],
  controllers: [PagesController],
})
class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(VaryMiddleware).forRoutes('*path');
  }
}

/** The fields of a `Vary` header, lower-cased, in order. */
const fields = (vary: string | string[] | undefined): string[] =>
  [vary ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');

describe.each(ADAPTERS)('a 401 adds Accept to Vary, keeping what is there (%s)', (adapter) => {
  let t: TestApp;
  let plain: TestApp;
  beforeAll(async () => {
    [t, plain] = await Promise.all([
      startApp(adapter, { imports: [AppModule] }, (app) => app.enableCors({ origin: true, credentials: true })),
      // Without CORS: on Fastify a header the CORS plugin sets on the reply supersedes one a middleware sets on the raw response.
      startApp(adapter, { imports: [AppModule] }),
    ]);
  });
  afterAll(() => Promise.all([t.close(), plain.close()]));

  it('CORS set Vary: Origin: the JSON 401 and the browser redirect both vary on Origin and Accept', async () => {
    const json = await t.http.get('/dashboard').set('origin', 'https://app.example').set('accept', 'application/json');
    expect(json.status).toBe(401);
    expect(json.body.code).toBe('credentials_missing');
    expect(json.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(fields(json.headers.vary)).toEqual(['origin', 'accept']);
    const page = await t.http.get('/dashboard').set('origin', 'https://app.example').set('accept', BROWSER);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fdashboard');
    expect(fields(page.headers.vary)).toEqual(['origin', 'accept']);
    // A bad token's 401 as well.
    const forged = await t.http
      .get('/dashboard')
      .set('origin', 'https://app.example')
      .set('authorization', `Bearer ${hs(claims(), 'x'.repeat(40))}`);
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('token_invalid');
    expect(fields(forged.headers.vary)).toEqual(['origin', 'accept']);
  });

  it('a Vary set by a middleware is kept; Accept is not added twice; Vary: * stays *', async () => {
    const compressed = await plain.http.get('/compressed/page').set('origin', 'https://app.example');
    expect(compressed.status).toBe(401);
    expect(fields(compressed.headers.vary)).toEqual(expect.arrayContaining(['accept-encoding', 'origin', 'accept']));
    expect(fields(compressed.headers.vary).filter((name) => name === 'accept')).toHaveLength(1);
    const accept = await plain.http.get('/accept/page');
    expect(accept.status).toBe(401);
    expect(fields(accept.headers.vary).filter((name) => name === 'accept')).toHaveLength(1);
    const star = await plain.http.get('/star/page').set('accept', BROWSER);
    expect(star.status).toBe(303);
    expect(fields(star.headers.vary)).toContain('*');
    expect(fields(star.headers.vary)).not.toContain('accept');
  });
});
