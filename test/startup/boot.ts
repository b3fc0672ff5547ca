import type { INestApplication, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AdapterName } from '../utils/app.js';

/**
 * Builds and starts an app the way a user does (compile, then `listen`, which runs the
 * start-up hooks) and resolves the error that stopped it. Whatever got built is closed, so a
 * refused app leaves no server or timer behind. Rejects when the app starts after all.
 */
export async function bootError(adapter: AdapterName, module: Type): Promise<Error> {
  let app: INestApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
    app = moduleRef.createNestApplication(adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app?.close().catch(() => undefined);
    return error as Error;
  }
  await app.close();
  throw new Error('the app started, but it should have refused to');
}
