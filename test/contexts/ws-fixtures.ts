import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { expect } from 'vitest';
import {
  Auth,
  AuthContext,
  AuthContextService,
  AuthModule,
  CurrentUser,
  IsAdmin,
  IsAuthenticated,
  JwtAuthentication,
  Permissions,
  Public,
  type AuthModuleOptions,
  type RequestContext,
} from '../../src/index.js';

/**
 * Gateways, app module and clients shared by the WebSocket e2e suites (socket.io and ws adapters).
 * Every handler answers `{ event, data }`: socket.io emits `event`, ws sends the JSON message.
 */
export const SECRET = 'w'.repeat(32);

@Injectable()
export class WhoService {
  constructor(private readonly auth: AuthContextService) {}

  /** Read through AsyncLocalStorage, as a service a handler calls would. */
  async who(): Promise<string | null> {
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    return this.auth.userId;
  }
}

@WebSocketGateway()
export class EventsGateway {
  constructor(private readonly who: WhoService) {}

  @SubscribeMessage('whoami')
  async whoami(
    @AuthContext() context: RequestContext,
    @CurrentUser() user: { id: string } | null,
    @MessageBody() data: unknown,
  ): Promise<{ event: string; data: unknown }> {
    const service = await this.who.who();
    return { event: 'whoami', data: { userId: context.userId, user: user?.id ?? null, service, echo: data } };
  }

  @Public()
  @SubscribeMessage('ping')
  ping(@AuthContext() context: RequestContext | null): { event: string; data: unknown } {
    return { event: 'pong', data: { userId: context?.userId ?? null } };
  }

  @Permissions('reports:read')
  @SubscribeMessage('report')
  report(): { event: string; data: unknown } {
    return { event: 'report', data: 'the report' };
  }

  @Auth({ guards: [IsAdmin()] })
  @SubscribeMessage('admin')
  admin(): { event: string; data: unknown } {
    return { event: 'admin', data: 'admin answer' };
  }

  @SubscribeMessage('ack')
  ack(@ConnectedSocket() client: unknown): string {
    void client;
    return 'acknowledged';
  }
}

/** A class-level @Public() gateway with one method that asks for authentication again. */
@Public()
@WebSocketGateway()
export class OpenGateway {
  @SubscribeMessage('open')
  open(): { event: string; data: unknown } {
    return { event: 'open', data: 'open answer' };
  }

  @Auth({ guards: [IsAuthenticated()] })
  @SubscribeMessage('members')
  members(@AuthContext() context: RequestContext): { event: string; data: unknown } {
    return { event: 'members', data: context.userId };
  }
}

/** The app module: JWT from the header or the `access_token` cookie, `TokenService` on the same secret. */
export function wsAppModule(options: Partial<AuthModuleOptions> = {}): DynamicModule {
  @Module({})
  class WsAppModule {}
  return {
    module: WsAppModule,
    imports: [
      AuthModule.forRoot({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cookie: 'access_token' })],
        tokens: { secret: SECRET, cookies: { secure: false } },
        ...options,
      }),
    ],
    providers: [WhoService, EventsGateway, OpenGateway],
  };
}

/** One answer of a gateway: the handler's event, or the refusal. */
export interface Answer {
  event: string;
  data: unknown;
}

/** A connected client of either adapter, with one way to send a message and read its answer. */
export interface WsTestClient {
  call(event: string, data?: unknown, timeoutMs?: number): Promise<Answer>;
  /** Resolves with the close code (ws) or the disconnect reason (socket.io). */
  closed: Promise<number | string>;
  close(): void;
}

export interface ConnectOptions {
  headers?: Record<string, string>;
  auth?: unknown;
  /** socket.io only. */
  transports?: ('websocket' | 'polling')[];
  /** `false` to accept a self-signed certificate (a `wss:` test server). */
  rejectUnauthorized?: boolean;
}

/** A socket.io client; `call` resolves with the first event that answers (the handler's own, or `exception`). */
export async function connectIo(url: string, options: ConnectOptions = {}): Promise<WsTestClient> {
  const socket: Socket = io(url, {
    transports: options.transports ?? ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: options.headers,
    auth: options.auth as Record<string, unknown>,
    ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  return {
    call: (event, data = {}, timeoutMs = 3000) =>
      new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), timeoutMs);
        socket.onAny(function listener(name: string, payload: unknown) {
          clearTimeout(timer);
          socket.offAny(listener);
          resolve({ event: name, data: payload });
        });
        socket.emit(event, data);
      }),
    closed,
    close: () => socket.disconnect(),
  };
}

/** A ws client; `call` sends `{ event, data }` and resolves with the next message. */
export async function connectWs(url: string, options: ConnectOptions = {}, path = ''): Promise<WsTestClient> {
  const socket = new WebSocket(url.replace(/^http/, 'ws') + path, {
    headers: options.headers,
    ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return {
    call: (event, data = {}, timeoutMs = 3000) =>
      new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), timeoutMs);
        socket.once('message', (raw) => {
          clearTimeout(timer);
          resolve(JSON.parse(String(raw)) as Answer);
        });
        socket.send(JSON.stringify({ event, data }));
      }),
    closed,
    close: () => socket.close(),
  };
}

/** The body of a refusal, as both adapters carry it. */
export function refusal(code: string, statusCode: number): Answer {
  return { event: 'exception', data: expect.objectContaining({ code, statusCode }) as unknown };
}
