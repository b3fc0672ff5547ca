import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRevocation, type RevocationQuery, type RevocationStore } from '../../src/index.js';
import { PostgresRevocation } from '../../src/postgres/index.js';
import { RedisRevocation } from '../../src/redis/index.js';
import { usePostgres } from '../utils/postgres.js';
import { startOwnRedis, type OwnedRedis } from '../utils/redis.js';
import { StorePool, waitFor } from '../utils/revocations.js';

/**
 * Model-based test of the store protocol: random sequences of revocations, logout-all cut-offs,
 * refresh rotations and checks, on any instance, against a reference model. Checks that ask the
 * shared store (`fresh`) and rotations must match the model exactly; a check answered from a
 * replica may lag a revocation made on another instance by at most 100 ms, and may never say
 * "revoked" for what the model does not revoke.
 */

interface Model {
  /** Every revocation that resolved: what it names, when (performance.now()), through which instance. */
  events: Array<{ kind: 'jti' | 'family' | 'user'; id: string; cutoff: number; at: number; on: number }>;
  /** Each family's live refresh id, and the ids it had before. */
  rotations: Map<string, string>;
  past: Map<string, string[]>;
  next: number;
}

interface Real {
  stores: RevocationStore[];
  /** A namespace per run: a run never sees another's revocations. */
  ns: string;
}

const HEALTHY_LAG_MS = 100;
const hour = (): number => Date.now() / 1000 + 3600;

/**
 * From when the model says `query` must be answered "revoked" on instance `on` (undefined: never):
 * at once for the instance that wrote it and for `fresh` checks, within the lag for the others.
 */
function revokedFrom(model: Model, query: RevocationQuery, on: number, fresh: boolean): number | undefined {
  let from: number | undefined;
  for (const event of model.events) {
    const matches =
      (event.kind === 'jti' && event.id === query.jti) ||
      (event.kind === 'family' && event.id === query.family) ||
      (event.kind === 'user' && event.id === query.sub && (query.iat ?? 0) <= event.cutoff);
    if (!matches) continue;
    const due = fresh || event.on === on ? event.at : event.at + HEALTHY_LAG_MS;
    from = Math.min(from ?? Infinity, due);
  }
  return from;
}

class Revoke implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'jti' | 'family',
    readonly id: string,
    readonly on: number,
    readonly expired: boolean,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const store = real.stores[this.on % real.stores.length]!;
    const exp = this.expired ? Date.now() / 1000 - 10 : hour();
    if (this.kind === 'jti') await store.revoke(real.ns + this.id, exp);
    else await store.revokeFamily(real.ns + this.id, exp);
    if (!this.expired)
      model.events.push({ kind: this.kind, id: this.id, cutoff: 0, at: performance.now(), on: this.on % real.stores.length });
  }
  toString = (): string => `revoke(${this.kind} ${this.id}${this.expired ? ', expired' : ''}) on #${this.on}`;
}

class RevokeAll implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly sub: string,
    readonly cutoff: number,
    readonly on: number,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.stores[this.on % real.stores.length]!.revokeAllForUser(real.ns + this.sub, this.cutoff, hour());
    model.events.push({ kind: 'user', id: this.sub, cutoff: this.cutoff, at: performance.now(), on: this.on % real.stores.length });
  }
  toString = (): string => `revokeAllForUser(${this.sub}, ${this.cutoff}) on #${this.on}`;
}

class Check implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly query: RevocationQuery,
    readonly on: number,
    readonly fresh: boolean,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const prefixed: RevocationQuery = {
      ...(this.query.jti === undefined ? {} : { jti: real.ns + this.query.jti }),
      ...(this.query.family === undefined ? {} : { family: real.ns + this.query.family }),
      ...(this.query.sub === undefined ? {} : { sub: real.ns + this.query.sub, iat: this.query.iat }),
    };
    const on = this.on % real.stores.length;
    const started = performance.now();
    const answer = await real.stores[on]!.isRevoked(prefixed, { fresh: this.fresh });
    const from = revokedFrom(model, this.query, on, this.fresh);
    if (from === undefined) expect(answer, 'revoked though the model does not revoke it').toBe(false);
    else if (started >= from) expect(answer, 'not revoked though the model revokes it').toBe(true);
  }
  toString = (): string => `isRevoked(${JSON.stringify(this.query)}${this.fresh ? ', fresh' : ''}) on #${this.on}`;
}

/** Lets time pass, so checks on the other instance are judged too. */
class Pause implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(_model: Model, real: Real): Promise<void> {
    if (real.stores.length > 1) await new Promise((resolve) => setTimeout(resolve, HEALTHY_LAG_MS + 5));
  }
  toString = (): string => 'pause';
}

class Rotate implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly family: string,
    readonly present: 'live' | 'past' | 'unknown',
    readonly on: number,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const live = model.rotations.get(this.family);
    const past = model.past.get(this.family) ?? [];
    const presented =
      this.present === 'live' && live !== undefined
        ? live
        : this.present === 'past' && past.length > 0
          ? past[past.length - 1]!
          : `r${model.next++}`;
    const next = `r${model.next++}`;
    const rotated = await real.stores[this.on % real.stores.length]!.rotate(real.ns + this.family, presented, next, hour());
    const expected = live === undefined || live === presented;
    expect(rotated, `rotate(${this.family}, ${presented}) with live ${live}`).toBe(expected);
    if (expected) {
      if (live !== undefined) model.past.set(this.family, [...past, live]);
      model.rotations.set(this.family, next);
    }
  }
  toString = (): string => `rotate(${this.family}, ${this.present}) on #${this.on}`;
}

const instance = fc.integer({ min: 0, max: 1 });
const jti = fc.constantFrom('j0', 'j1', 'j2', 'j3');
const family = fc.constantFrom('f0', 'f1', 'f2');
const sub = fc.constantFrom('u0', 'u1');
// Real epoch seconds (cut-offs below 1e11 would be read as seconds twice over: src/revocation/user-cutoff.ts).
const BASE = Math.floor(Date.now() / 1000) - 10;
const second = fc.integer({ min: BASE, max: BASE + 6 });
const commands = fc.commands(
  [
    fc.tuple(jti, instance, fc.boolean()).map(([id, on, expired]) => new Revoke('jti', id, on, expired)),
    fc.tuple(family, instance, fc.boolean()).map(([id, on, expired]) => new Revoke('family', id, on, expired)),
    fc.tuple(sub, second, instance).map(([user, cutoff, on]) => new RevokeAll(user, cutoff, on)),
    fc
      .tuple(
        fc.option(jti, { nil: undefined }),
        fc.option(family, { nil: undefined }),
        fc.option(fc.tuple(sub, second), { nil: undefined }),
      )
      .chain(([j, f, s]) =>
        fc.tuple(instance, fc.boolean()).map(
          ([on, fresh]) =>
            new Check(
              {
                ...(j === undefined ? {} : { jti: j }),
                ...(f === undefined ? {} : { family: f }),
                ...(s === undefined ? {} : { sub: s[0], iat: s[1] }),
              },
              on,
              fresh,
            ),
        ),
      ),
    fc
      .tuple(family, fc.constantFrom<'live' | 'past' | 'unknown'>('live', 'live', 'past', 'unknown'), instance)
      .map(([f, present, on]) => new Rotate(f, present, on)),
    fc.constant(new Pause()),
  ],
  { maxCommands: 40 },
);

let runs = 0;
const emptyModel = (): Model => ({ events: [], rotations: new Map(), past: new Map(), next: 0 });

describe('the store protocol against a reference model (fast-check commands)', () => {
  it('InMemoryRevocation', async () => {
    const store = new InMemoryRevocation();
    try {
      await fc.assert(
        fc.asyncProperty(commands, (cmds) =>
          fc.asyncModelRun(() => ({ model: emptyModel(), real: { stores: [store], ns: `m${++runs}:` } }), cmds),
        ),
        { numRuns: 300 },
      );
    } finally {
      store.onModuleDestroy();
    }
  });

  describe('RedisRevocation, two instances on one Redis', () => {
    let redis: OwnedRedis;
    const pool = new StorePool();
    let stores: RedisRevocation[];
    beforeAll(async () => {
      redis = await startOwnRedis();
      // A generous timeout: this checks the protocol, not how it fails (the fault suites do).
      const options = { url: redis.url, keyPrefix: 'model:', timeoutMs: 5_000 };
      stores = [await pool.open(options), await pool.open(options)];
      await waitFor(() => stores.every((store) => store.usingReplica), 5_000, 'both serving');
    });
    afterAll(async () => {
      await pool.closeAll();
      await redis.remove();
    });

    it('writes on either instance, checks on either (replica and fresh), rotations on either', async () => {
      await fc.assert(
        fc.asyncProperty(commands, (cmds) => fc.asyncModelRun(() => ({ model: emptyModel(), real: { stores, ns: `r${++runs}:` } }), cmds)),
        { numRuns: 60 },
      );
      expect(stores.every((store) => store.usingReplica)).toBe(true);
    }, 120_000);
  });

  describe('PostgresRevocation, two instances on one PostgreSQL', () => {
    let db: Awaited<ReturnType<typeof usePostgres>>;
    let stores: PostgresRevocation[];
    beforeAll(async () => {
      db = await usePostgres();
      // A generous timeout: this checks the protocol, not how it fails (the fault suites do).
      const options = { connectionString: db.url, tablePrefix: `model_${Date.now() % 100000}_`, timeoutMs: 5_000 };
      stores = [new PostgresRevocation(options), new PostgresRevocation(options)];
      await Promise.all(stores.map((store) => store.onModuleInit()));
      await waitFor(() => stores.every((store) => store.usingReplica), 5_000, 'both serving');
    });
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.onModuleDestroy()));
      await db.close();
    });

    it('writes on either instance, checks on either (replica and fresh), rotations on either', async () => {
      await fc.assert(
        fc.asyncProperty(commands, (cmds) => fc.asyncModelRun(() => ({ model: emptyModel(), real: { stores, ns: `p${++runs}:` } }), cmds)),
        { numRuns: 60 },
      );
      expect(stores.every((store) => store.usingReplica)).toBe(true);
    }, 120_000);
  });
});
