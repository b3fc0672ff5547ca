import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Catch,
  Controller,
  Get,
  Injectable,
  Module,
  Req,
  Res,
  Sse,
  StreamableFile,
  type ArgumentsHost,
  type ExceptionFilter,
  type MessageEvent,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { defer, delay, from, interval, map, mergeMap, of, take, type Observable } from 'rxjs';
import { AuthContextService, AuthModule, JwtAuthentication, Public, type AuthModuleOptions, type AuthRequest } from '../../src/index.js';
import { SECRET } from './core-app.js';

/** What a handler saw: `AuthContextService.userId`, read where the route says. */
export interface Seen {
  userId: string | null;
}

/** A service that reads the context, as an app's own service would (constructor injection). */
@Injectable()
export class Reader {
  constructor(private readonly auth: AuthContextService) {}
  get userId(): string | null {
    return this.auth.userId;
  }
  get request(): AuthRequest | undefined {
    return this.auth.request;
  }
}

/** Thrown by `/ctx/throws`; {@link SeenFilter} answers it with what the context says. */
export class Boom extends Error {}

@Catch(Boom)
export class SeenFilter implements ExceptionFilter {
  constructor(
    private readonly reader: Reader,
    private readonly adapterHost: HttpAdapterHost,
  ) {}
  catch(_error: Boom, host: ArgumentsHost): void {
    const response: unknown = host.switchToHttp().getResponse();
    this.adapterHost.httpAdapter.reply(response, { userId: this.reader.userId, filter: true }, 500);
  }
}

/** Runs before the global guard: it must never see another request's user (keep-alive). */
@Injectable()
export class SeenBeforeGuard implements NestMiddleware {
  constructor(private readonly reader: Reader) {}
  use(_request: unknown, response: { setHeader(name: string, value: string): void }, next: () => void): void {
    response.setHeader('x-seen-before-guard', this.reader.userId ?? 'none');
    next();
  }
}

/**
 * Lines of a stream, each read from the context when the stream produces it, with how many
 * times the response had drained by then (lines produced after a `drain` were asked for by it).
 */
async function* lines(reader: Reader, count: number, padding: number, drains: () => number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) {
    await sleep(1);
    yield `${i} ${reader.userId ?? 'null'} ${drains()} ${'.'.repeat(padding)}\n`;
  }
}

@Controller('ctx')
export class ContextController {
  constructor(
    private readonly reader: Reader,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Get('promise')
  async promise(): Promise<Seen> {
    await sleep(2);
    await Promise.resolve();
    return { userId: this.reader.userId };
  }

  @Get('defer')
  defer(): Observable<Seen> {
    return defer(() => of({ userId: this.reader.userId }));
  }

  @Get('delay')
  delay(): Observable<Seen> {
    return of(1).pipe(
      delay(5),
      map(() => ({ userId: this.reader.userId })),
    );
  }

  /** Work started in the handler, awaited through an Observable chain of timers and promises. */
  @Get('chain')
  chain(): Observable<Seen> {
    return from(sleep(3)).pipe(
      mergeMap(() => defer(() => sleep(2).then(() => this.reader.userId))),
      delay(1),
      map((userId) => ({ userId })),
    );
  }

  /** The service found at request time, with no constructor dependency on it. */
  @Get('dynamic')
  async dynamic(): Promise<Seen> {
    await sleep(1);
    return { userId: this.moduleRef.get(AuthContextService, { strict: false }).userId };
  }

  @Get('same-request')
  sameRequest(@Req() request: AuthRequest): { same: boolean } {
    return { same: this.reader.request === request };
  }

  @Sse('sse')
  sse(): Observable<MessageEvent> {
    return interval(5).pipe(
      take(3),
      map((i) => ({ data: { i, userId: this.reader.userId } })),
    );
  }

  /** Every line reads the context when the stream produces it; 64 KiB lines fill the socket, so the response drains. */
  @Get('stream')
  stream(@Res({ passthrough: true }) response: ServerResponse | { raw: ServerResponse }): StreamableFile {
    const raw = 'raw' in response ? response.raw : response;
    let drains = 0;
    raw.on('drain', () => drains++);
    return new StreamableFile(Readable.from(lines(this.reader, 40, 64 * 1024, () => drains)), { type: 'text/plain' });
  }

  @Get('throws')
  async throws(): Promise<never> {
    await sleep(1);
    throw new Boom('boom');
  }

  @Public()
  @Get('public')
  public(): Seen {
    return { userId: this.reader.userId };
  }
}

/** A route the reading middleware does not run on. */
@Controller('plain')
export class PlainController {
  @Get()
  plain(): { ok: true } {
    return { ok: true };
  }
}

/** The context-storage app; `options` are added to `AuthModule.forRoot()`. */
export function contextApp(options: Partial<AuthModuleOptions> = {}): new () => NestModule {
  @Module({
    imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })], ...options })],
    controllers: [ContextController, PlainController],
    providers: [Reader, SeenBeforeGuard, { provide: APP_FILTER, useClass: SeenFilter }],
  })
  class ContextStorageApp implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(SeenBeforeGuard).forRoutes(ContextController);
    }
  }
  return ContextStorageApp;
}
