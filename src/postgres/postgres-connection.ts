import type { Pool, PoolClient } from 'pg';
import { bounded } from '../revocation/replica-engine.source.js';
import { cutoffMs, type UserCutoff } from '../revocation/user-cutoff.js';

/**
 * Runs `work` on one connection borrowed from `pool`, failing closed (`AuthUnavailableError`) when
 * it fails or takes longer than `timeoutMs`. A connection that did not answer in time is destroyed,
 * never handed back: a late answer on it (a silent partition healing) must not reach the next user,
 * and the pool opens a fresh one instead of queueing behind it.
 */
export async function onConnection<T>(pool: Pool, timeoutMs: number, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const state: { client: PoolClient | undefined; done: boolean } = { client: undefined, done: false };
  // A checked-out client has no 'error' listener of the pool's: a connection lost mid-query would
  // be an uncaught 'error' event. The query's own rejection reports it; this one only catches it.
  const onError = (): void => {};
  const finish = (error?: Error): void => {
    const client = state.client;
    if (client === undefined || state.done) return;
    state.done = true;
    // A client handed back keeps no listener of ours; a destroyed one keeps it for late errors.
    if (error === undefined) client.removeListener('error', onError);
    client.release(error);
  };
  const attempt = (async () => {
    const client = await pool.connect();
    if (state.done) {
      // The caller gave up while the pool was connecting: the connection itself is fine.
      client.release();
      throw new Error('The revocation store gave up waiting for a connection');
    }
    state.client = client;
    client.on('error', onError);
    try {
      const result = await work(client);
      finish();
      return result;
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  })();
  try {
    return await bounded(attempt, timeoutMs);
  } catch (error) {
    if (state.client === undefined) state.done = true;
    else finish(new Error('No answer in time: connection dropped'));
    throw error;
  }
}

/** A row of `revocations` or `revocation_log`, as `pg` returns it (bigint columns as strings). */
export interface RevocationRow {
  kind: string;
  id: string;
  expires_at: string;
  cutoff: string;
  family: string | null;
  family_cutoff: string | null;
}

/** The cut-off a row holds. */
export function cutoffOf(row: Pick<RevocationRow, 'cutoff' | 'family' | 'family_cutoff'>): UserCutoff {
  const cutoff = cutoffMs(Number(row.cutoff));
  return row.family === null ? { cutoff } : { cutoff, family: row.family, familyCutoff: cutoffMs(Number(row.family_cutoff ?? 0)) };
}

/** The current time in whole epoch seconds (what an integer `expires_at` is compared with). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Swallows an event no one needs: failures surface through the commands (fail closed). */
export function noop(): void {}
