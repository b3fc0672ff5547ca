import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';

const SESSION_SECRET = process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url');

/**
 * What the sample registers on the HTTP adapter: server-side sessions, in memory, or in
 * Redis when REDIS_URL is set (then they survive a restart and are shared by instances).
 * Returns a function that releases what it opened.
 */
export async function configureSample(app: INestApplication): Promise<() => Promise<void>> {
  let store: session.Store | undefined;
  let release = async (): Promise<void> => undefined;
  if (process.env.REDIS_URL) {
    const client = createClient({ url: process.env.REDIS_URL });
    await client.connect();
    store = new RedisStore({ client, prefix: 'sample-session:' });
    release = async () => {
      await client.quit();
    };
  }
  const cookie = { secure: process.env.NODE_ENV === 'production', httpOnly: true, sameSite: 'lax' as const };
  if (app.getHttpAdapter().getType() === 'fastify') {
    const fastify = app as NestFastifyApplication;
    await fastify.register(fastifyCookie as never);
    await fastify.register(fastifySession as never, {
      secret: SESSION_SECRET,
      cookie,
      saveUninitialized: false,
      ...(store ? { store } : {}),
    });
  } else {
    app.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false, cookie, store }));
  }
  return release;
}
