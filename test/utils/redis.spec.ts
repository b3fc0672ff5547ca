import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedis } from './redis.js';

describe('test Redis', () => {
  let redis: Awaited<ReturnType<typeof useRedis>>;
  beforeAll(async () => {
    redis = await useRedis();
  });
  afterAll(() => redis.close());

  it('is reachable (REDIS_URL or a redis-server the tests started)', async () => {
    const client = new Redis(redis.url);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });
});
