// `nestjs-warden/postgres`: everything that needs the optional peer `pg`, kept off the main entry.
import './peer-check.js';

export { PostgresRevocation } from './postgres-revocation.store.js';
export type { PostgresRevocationOptions } from './postgres-revocation.options.js';
export { postgresRevocationSql } from './postgres-sql.js';
