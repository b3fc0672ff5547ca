/**
 * One bench server, in its own process: builds the scenario's app on the asked adapter,
 * listens on 127.0.0.1 (a free port), and answers the driver over IPC.
 * Exits when the driver goes away, so no server outlives a bench run.
 */
import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Fixtures } from './fixtures.js';
import type { Adapter, Scenario } from './scenarios.js';

export interface StartMessage {
  type: 'start';
  scenario: Scenario;
  adapter: Adapter;
  fixtures: Fixtures;
  redisUrl?: string;
}
export type ServerReply =
  { type: 'ready'; port: number } | { type: 'rss'; rss: number } | { type: 'cpu'; micros: number } | { type: 'error'; message: string };

async function buildModule(message: StartMessage): Promise<Type> {
  const { scenario, fixtures, redisUrl } = message;
  switch (scenario.app) {
    case 'unprotected':
      return (await import('./apps/unprotected.app.js')).createModule();
    case 'raw-guard':
      return (await import('./apps/raw-guard.app.js')).createModule(fixtures, scenario.token);
    case 'passport':
      return (await import('./apps/passport.app.js')).createModule(fixtures);
    case 'warden':
      return (await import('./apps/warden.app.js')).createModule(scenario, fixtures, redisUrl);
  }
}

async function start(message: StartMessage): Promise<INestApplication> {
  const module = await buildModule(message);
  const adapter = message.adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(module, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const send = (reply: ServerReply): void => {
  process.send?.(reply);
};

let app: INestApplication | undefined;
process.on('disconnect', () => process.exit(0));
process.on('message', (raw: unknown) => {
  const message = raw as StartMessage | { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };
  if (message.type === 'start') {
    start(message).then(
      (started) => {
        app = started;
        const address = started.getHttpServer().address() as { port: number };
        send({ type: 'ready', port: address.port });
      },
      (error: unknown) => {
        send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      },
    );
  } else if (message.type === 'rss') {
    send({ type: 'rss', rss: process.memoryUsage().rss });
  } else if (message.type === 'cpu') {
    const usage = process.cpuUsage();
    send({ type: 'cpu', micros: usage.user + usage.system });
  } else if (message.type === 'stop') {
    const closing = app?.close() ?? Promise.resolve();
    void closing.finally(() => process.exit(0));
  }
});
