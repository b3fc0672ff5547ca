import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { isEmitter } from '../auth.utils.js';
import { HANDSHAKE, type WsHandshake } from './ws-handshake.js';

/**
 * Records the handshake of every `@nestjs/platform-ws` connection. Nest's `WsAdapter` hands
 * the upgrade request to `handleConnection` only and keeps nothing of it on the client, so
 * a listener placed first on the `upgrade` event of the app's HTTP server (and of the
 * adapter's own servers: a gateway on another port with a `path`) keeps its headers on the
 * connection's `net.Socket`, which the `ws` client holds. socket.io keeps `socket.handshake`
 * itself. Internal.
 */
@Injectable()
export class WsHandshakes implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly servers = new Set<EventEmitter>();

  constructor(
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() private readonly appConfig?: ApplicationConfig,
  ) {}

  onApplicationBootstrap(): void {
    const candidates: unknown[] = [this.adapterHost?.httpAdapter?.getHttpServer()];
    // The ws adapter's registry of the HTTP servers it upgrades on (duck-typed: no optional package is loaded).
    const registry = (this.appConfig?.getIoAdapter() as { httpServersRegistry?: unknown } | null | undefined)?.httpServersRegistry;
    if (registry instanceof Map) candidates.push(...(registry.values() as Iterable<unknown>));
    for (const server of candidates) {
      if (!isEmitter(server) || this.servers.has(server)) continue;
      // Prepended: it must run before the adapter's listener, which emits `connection` synchronously.
      server.prependListener('upgrade', recordUpgrade);
      this.servers.add(server);
    }
  }

  onApplicationShutdown(): void {
    for (const server of this.servers) server.removeListener('upgrade', recordUpgrade);
    this.servers.clear();
  }
}

function recordUpgrade(request: IncomingMessage, socket: object): void {
  Object.defineProperty(socket, HANDSHAKE, { value: snapshot(request), configurable: true });
}

function snapshot(request: IncomingMessage): WsHandshake {
  const secure = (request.socket as Partial<TLSSocket> | undefined)?.encrypted === true;
  return { headers: request.headers, rawHeaders: request.rawHeaders, url: request.url ?? '/', secure };
}

/**
 * Hands nestjs-warden the handshake of a `ws` connection it could not see: a gateway on its
 * own port without a `path` (the `ws` package then runs its own HTTP server). One line in the
 * gateway; every other gateway needs nothing.
 *
 * @example
 * ```ts
 * @WebSocketGateway(8081)
 * export class EventsGateway implements OnGatewayConnection {
 *   handleConnection(client: WebSocket, request: IncomingMessage) {
 *     keepWsHandshake(client, request);
 *   }
 * }
 * ```
 */
export function keepWsHandshake(client: object, request: IncomingMessage): void {
  Object.defineProperty(client, HANDSHAKE, { value: snapshot(request), configurable: true });
}
