import type { RevocationKind } from '../revocation/revocation-set.js';

/** The one-letter code of each kind, in the `kind` column. */
export const KIND_CODES: Readonly<Record<RevocationKind, string>> = { jti: 'j', family: 'f', user: 'u' };

/** The kind a one-letter code names. */
export const KINDS: Readonly<Record<string, RevocationKind | undefined>> = { j: 'jti', f: 'family', u: 'user' };

/** The store's tables, quoted and schema-qualified (names are checked at construction: plain lower-case only). */
export class PostgresNames {
  readonly revocations: string;
  readonly rotations: string;
  readonly log: string;
  readonly state: string;
  /** The `LISTEN`/`pg_notify` channel the writers wake the replicas on. */
  readonly channel: string;

  constructor(
    readonly schema: string,
    readonly prefix: string,
  ) {
    const table = (name: string): string => `"${schema}"."${prefix}${name}"`;
    this.revocations = table('revocations');
    this.rotations = table('rotations');
    this.log = table('revocation_log');
    this.state = table('revocation_state');
    this.channel = `${schema}.${prefix}revocations`;
  }
}

/**
 * The tables, as the migration shipped in the package (`dist/postgres/migration.sql`, exported as
 * `nestjs-warden/postgres/migration.sql`) and the start-up (`createTables`) create them:
 * - `revocations`: one row per revocation (`kind` j/f/u: a token id, a login family, a user's
 *   logout-all cut-off in ms, with the one login it spares), kept until `expires_at` (epoch s);
 * - `rotations`: each login's live refresh token id (one row per login, replaced on refresh);
 * - `revocation_log`: the ordered, replayable log the replicas read, numbered without gaps by
 *   `revocation_state.seq` (a counter row every writer updates in its statement, so numbers are
 *   committed in order); `epoch` tells a recreated database from the one a replica read.
 *
 * @example
 * ```ts
 * import { postgresRevocationSql } from 'nestjs-warden/postgres';
 *
 * writeFileSync('migrations/0007_warden.sql', postgresRevocationSql({ schema: 'auth' }));
 * ```
 */
export function postgresRevocationSql(options: { schema?: string; tablePrefix?: string } = {}): string {
  const names = new PostgresNames(options.schema ?? 'public', options.tablePrefix ?? 'warden_');
  const index = (name: string): string => `"${names.prefix}${name}"`;
  return `-- nestjs-warden PostgresRevocation tables (schema "${names.schema}", table prefix "${names.prefix}").
-- Idempotent: PostgresRevocation runs the same statements at start-up unless createTables: false.
${names.schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${names.schema}";\n`}
CREATE TABLE IF NOT EXISTS ${names.revocations} (
  kind text NOT NULL,
  id text NOT NULL,
  expires_at bigint NOT NULL,
  cutoff bigint NOT NULL DEFAULT 0,
  family text,
  family_cutoff bigint,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS ${index('revocations_expires_at')} ON ${names.revocations} (expires_at);

CREATE TABLE IF NOT EXISTS ${names.rotations} (
  family text PRIMARY KEY,
  live text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS ${index('rotations_expires_at')} ON ${names.rotations} (expires_at);

CREATE TABLE IF NOT EXISTS ${names.log} (
  seq bigint PRIMARY KEY,
  kind text NOT NULL,
  id text NOT NULL,
  expires_at bigint NOT NULL,
  cutoff bigint NOT NULL,
  family text,
  family_cutoff bigint
);

CREATE TABLE IF NOT EXISTS ${names.state} (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  epoch text NOT NULL
);
INSERT INTO ${names.state} (id, seq, epoch) VALUES (1, 0, md5(random()::text || clock_timestamp()::text))
  ON CONFLICT (id) DO NOTHING;
`;
}

/** The statements of the store (each one round trip, autocommit: no transaction spans two). */
export function statements(
  names: PostgresNames,
): Record<'revoke' | 'rotate' | 'ask' | 'head' | 'scan' | 'read' | 'follow' | 'cleanRevocations' | 'cleanRotations' | 'trimLog', string> {
  const { revocations: rev, rotations: rot, log, state } = names;
  // A user's cut-offs combine as mergeCutoffs() does (src/revocation/user-cutoff.ts): F is the
  // login the merged cut-off spares, FC the time up to which that login is refused, C the cut-off.
  const F = `(CASE WHEN r.family IS NOT NULL AND (EXCLUDED.family IS NULL OR r.family = EXCLUDED.family OR r.cutoff > EXCLUDED.cutoff) THEN r.family ELSE EXCLUDED.family END)`;
  const at = (row: string): string => `(CASE WHEN ${row}.family = ${F} THEN COALESCE(${row}.family_cutoff, 0) ELSE ${row}.cutoff END)`;
  const FC = `GREATEST(${at('r')}, ${at('EXCLUDED')})`;
  const C = 'GREATEST(r.cutoff, EXCLUDED.cutoff)';
  const spared = `${F} IS NULL OR ${FC} >= ${C}`;
  const columns = 'kind, id, expires_at, cutoff, family, family_cutoff';
  return {
    // The notification carries the entry (the replicas apply it at once when it is the next one;
    // a payload has at most 8000 bytes, so a long one carries only its number).
    // The counter row is locked first (the insert reads from it), so writers queue on it in one
    // order (no deadlock) and commit their log numbers in order: a reader never sees n+1 before n.
    revoke: `WITH next AS (
  UPDATE ${state} SET seq = seq + 1 WHERE id = 1 RETURNING seq
), saved AS (
  INSERT INTO ${rev} AS r (${columns})
  SELECT $1::text, $2::text, $3::bigint, $4::bigint, $5::text, $6::bigint FROM next
  ON CONFLICT (kind, id) DO UPDATE SET
    expires_at = GREATEST(r.expires_at, EXCLUDED.expires_at),
    cutoff = ${C},
    family = CASE WHEN ${spared} THEN NULL ELSE ${F} END,
    family_cutoff = CASE WHEN ${spared} THEN NULL ELSE ${FC} END
  RETURNING ${columns}
)
INSERT INTO ${log} (seq, ${columns})
SELECT next.seq, saved.kind, saved.id, saved.expires_at, saved.cutoff, saved.family, saved.family_cutoff FROM next, saved
RETURNING seq, pg_notify('${names.channel}', CASE WHEN octet_length(id) + octet_length(COALESCE(family, '')) < 7000
  THEN json_build_array(seq, kind, id, expires_at, cutoff, family, family_cutoff)::text ELSE seq::text END)`,
    // Compare-and-set in one statement: a concurrent one waits for the row and re-checks `live`.
    rotate: `INSERT INTO ${rot} AS r (family, live, expires_at) VALUES ($1, $3, $4::bigint)
ON CONFLICT (family) DO UPDATE SET live = EXCLUDED.live,
  expires_at = CASE WHEN r.expires_at <= $5::bigint THEN EXCLUDED.expires_at ELSE GREATEST(r.expires_at, EXCLUDED.expires_at) END
WHERE r.live = $2 OR r.expires_at <= $5::bigint
RETURNING 1 AS rotated`,
    ask: `SELECT kind, cutoff, family, family_cutoff FROM ${rev}
WHERE expires_at > $4::bigint AND ((kind = 'j' AND id = $1) OR (kind = 'f' AND id = $2) OR (kind = 'u' AND id = $3))`,
    head: `SELECT seq, epoch FROM ${state} WHERE id = 1`,
    scan: `SELECT ${columns} FROM ${rev} WHERE (kind, id) > ($1::text, $2::text) AND expires_at > $3::bigint ORDER BY kind, id LIMIT $4`,
    read: `SELECT seq, ${columns} FROM ${log} WHERE seq > $1::bigint ORDER BY seq LIMIT $2`,
    follow: `SELECT s.seq AS head, s.epoch, l.seq, l.kind, l.id, l.expires_at, l.cutoff, l.family, l.family_cutoff
FROM ${state} s LEFT JOIN LATERAL (SELECT seq, ${columns} FROM ${log} WHERE seq > $1::bigint ORDER BY seq LIMIT $2) l ON true
WHERE s.id = 1`,
    cleanRevocations: `DELETE FROM ${rev} WHERE (kind, id) IN (SELECT kind, id FROM ${rev} WHERE expires_at <= $1::bigint LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    cleanRotations: `DELETE FROM ${rot} WHERE family IN (SELECT family FROM ${rot} WHERE expires_at <= $1::bigint LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    trimLog: `DELETE FROM ${log} WHERE seq IN (SELECT seq FROM ${log} WHERE seq <= (SELECT seq FROM ${state} WHERE id = 1) - $1::bigint ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  };
}
