// `nestjs-warden/redis`: everything that needs the optional peer `ioredis`, kept off the main entry.
import './peer-check.js';

export { RedisRevocation, type RedisRevocationOptions } from './redis-revocation.store.js';
