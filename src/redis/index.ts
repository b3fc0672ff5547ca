// `nestjs-warden/redis`: everything that needs the optional peer `ioredis`, kept off the main entry.
import './peer-check.js';

export { RedisRevocation } from './redis-revocation.store.js';
export type { RedisRevocationOptions } from './redis-revocation.options.js';
