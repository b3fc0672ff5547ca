import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** One client connection through the proxy and its upstream connection. */
interface Link {
  client: Socket;
  upstream: Socket | undefined;
  /** Client bytes waiting for the upstream connection. */
  early: Buffer[];
  closed: boolean;
}

/**
 * A TCP proxy between an app (or a store) and a server, for fault injection:
 * - `pass()`: forwards everything;
 * - `blackhole()`: a silent partition: nothing is forwarded either way and nothing is closed
 *   (no FIN, no RST); new connections are accepted and held. Reading stops, so bytes wait in
 *   the kernel as they would on a dropped route, and flow again after `pass()`;
 * - `delay(ms)`: forwards every chunk `ms` later, in order;
 * - `reset()`: drops every current connection with a TCP RST to the client.
 */
export class FaultProxy {
  private mode: 'pass' | 'blackhole' | 'delay' = 'pass';
  private delayMs = 0;
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 towards `targetPort`. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const created: { proxy?: FaultProxy } = {};
    const server = createServer((client) => created.proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const proxy = new FaultProxy(server, typeof address === 'object' && address !== null ? address.port : 0, targetPort, targetHost);
    created.proxy = proxy;
    return proxy;
  }

  /** `redis://` URL of the proxy. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The local ports of the upstream connections: how the server sees this proxy's clients (`CLIENT LIST` addr). */
  upstreamPorts(): number[] {
    return [...this.links].flatMap((link) => (link.upstream?.localPort === undefined ? [] : [link.upstream.localPort]));
  }

  /** How many client connections are open. */
  get connections(): number {
    return this.links.size;
  }

  pass(): void {
    this.mode = 'pass';
    for (const link of [...this.links]) {
      // What closed during a partition is learnt now.
      if (link.client.destroyed || link.upstream?.destroyed === true) {
        this.drop(link, false);
        continue;
      }
      if (link.upstream === undefined) this.connectUpstream(link);
      link.client.resume();
      link.upstream?.resume();
    }
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const link of this.links) {
      link.client.pause();
      link.upstream?.pause();
    }
  }

  delay(ms: number): void {
    this.pass();
    this.mode = 'delay';
    this.delayMs = ms;
  }

  reset(): void {
    for (const link of [...this.links]) this.drop(link, true);
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const link: Link = { client, upstream: undefined, early: [], closed: false };
    this.links.add(link);
    client.on('error', () => this.drop(link, false));
    client.on('close', () => this.drop(link, false));
    client.on('data', (chunk) => (link.upstream === undefined ? link.early.push(chunk) : this.forward(chunk, link.upstream, link)));
    if (this.mode === 'blackhole') client.pause();
    else this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    const upstream = createConnection({ port: this.targetPort, host: this.targetHost });
    link.upstream = upstream;
    upstream.on('error', () => this.drop(link, false));
    upstream.on('close', () => this.drop(link, false));
    upstream.on('data', (chunk) => this.forward(chunk, link.client, link));
    upstream.once('connect', () => {
      for (const chunk of link.early.splice(0)) this.forward(chunk, upstream, link);
    });
    if (this.mode === 'blackhole') upstream.pause();
  }

  /** Chunks leave in order; a delay is measured from arrival. */
  private forward(chunk: Buffer, to: Socket, link: Link): void {
    if (this.mode !== 'delay') {
      if (!link.closed) to.write(chunk);
      return;
    }
    setTimeout(() => {
      if (!link.closed) to.write(chunk);
    }, this.delayMs);
  }

  private drop(link: Link, reset: boolean): void {
    // In a silent partition neither side learns that the other went away.
    if (!reset && this.mode === 'blackhole') return;
    if (link.closed) return;
    link.closed = true;
    this.links.delete(link);
    if (reset) link.client.resetAndDestroy();
    else link.client.destroy();
    link.upstream?.destroy();
  }
}
