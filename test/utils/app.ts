import 'reflect-metadata';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

export interface TestApp {
  app: INestApplication;
  http: TestAgent;
  url: string;
  close(): Promise<void>;
}

/** Builds, initialises and starts (on 127.0.0.1, a free port) an app for one adapter. */
export async function startApp(
  adapter: AdapterName,
  metadata: ModuleMetadata,
  configure?: (app: INestApplication) => void | Promise<void>,
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const base = url.replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, http: request(base), url: base, close: () => app.close() };
}
