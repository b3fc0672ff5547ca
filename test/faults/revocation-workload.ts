import { performance } from 'node:perf_hooks';
import type TestAgent from 'supertest/lib/agent.js';
import type { RevocationQuery, RevocationStore } from '../../src/index.js';
import type { Answer, Oracle } from './revocation-oracle.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const hour = (): number => Date.now() / 1000 + 3600;

/** A store's answer, 503 included; anything else thrown is a violation. */
async function answer(store: RevocationStore, query: RevocationQuery, oracle: Oracle): Promise<Answer> {
  try {
    return await store.isRevoked(query);
  } catch (error) {
    if ((error as { code?: string }).code !== 'auth_unavailable') oracle.violation(`isRevoked threw ${String(error)}`);
    return 'unavailable';
  }
}

interface Chain {
  family: string;
  current: string;
  past: string[];
}

/**
 * Revocations (jti, family, logout-all cut-offs) and refresh rotations written through random
 * instances, while one checker per instance asks about what was revoked and what never was.
 */
export class StoreWorkload {
  private n = 0;
  private readonly revoked: Array<{ label: string; query: RevocationQuery; resolvedAt: number }> = [];
  private readonly controls: Array<{ label: string; query: RevocationQuery }> = [];
  private chains: Chain[] = [];
  private running = true;
  private readonly loops: Array<Promise<void>> = [];

  constructor(
    private readonly stores: RevocationStore[],
    private readonly oracle: Oracle,
    private readonly tag: string,
  ) {
    for (let i = 0; i < 20; i++) {
      this.controls.push({ label: `control jti ${i}`, query: { jti: `${tag}-never-${i}` } });
      this.controls.push({ label: `control family ${i}`, query: { family: `${tag}-never-fam-${i}` } });
      this.controls.push({ label: `control user ${i}`, query: { sub: `${tag}-never-user-${i}`, iat: Math.floor(Date.now() / 1000) } });
    }
  }

  /** Revocations made outside the workload (the million-key load), judged like the others. */
  addRevoked(label: string, query: RevocationQuery, resolvedAt: number): void {
    this.revoked.push({ label, query, resolvedAt });
  }

  start(): void {
    this.loops.push(this.writeLoop());
    for (const store of this.stores) this.loops.push(this.checkLoop(store));
  }

  /** An instance that joins during the schedule (e.g. a new one loading a million keys). */
  join(store: RevocationStore): void {
    this.stores.push(store);
    this.loops.push(this.checkLoop(store));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async writeLoop(): Promise<void> {
    while (this.running) {
      const roll = Math.random();
      if (roll < 0.75) await this.revokeOne(roll);
      else await this.rotateStep();
      await sleep(5);
    }
  }

  private async revokeOne(roll: number): Promise<void> {
    const store = pick(this.stores);
    const id = `${this.tag}-${++this.n}`;
    let write: () => Promise<void>;
    let query: RevocationQuery;
    if (roll < 0.4) {
      write = () => store.revoke(id, hour());
      query = { jti: id };
    } else if (roll < 0.65) {
      write = () => store.revokeFamily(id, hour());
      query = { jti: `other-${id}`, family: id };
    } else {
      const cutoff = Math.floor(Date.now() / 1000);
      write = () => store.revokeAllForUser(id, cutoff, hour());
      query = { sub: id, iat: cutoff - 1 };
      // A token of that user issued after the cut-off is never refused.
      this.controls.push({ label: `user ${id} after its cut-off`, query: { sub: id, iat: cutoff + 1000 } });
    }
    try {
      await write();
      this.oracle.wrote(true);
      this.revoked.push({ label: JSON.stringify(query), query, resolvedAt: performance.now() });
    } catch (error) {
      this.oracle.wrote(false);
      if ((error as { code?: string }).code !== 'auth_unavailable') this.oracle.violation(`a revocation threw ${String(error)}`);
    }
  }

  /** Two instances rotate the same refresh token at once (at most one may win), or a rotated one is replayed (refused). */
  private async rotateStep(): Promise<void> {
    if (this.chains.length < 5) {
      const id = `${this.tag}-fam-${++this.n}`;
      this.chains.push({ family: id, current: `${id}-r0`, past: [] });
    }
    const chain = pick(this.chains);
    const [a, b] = [pick(this.stores), pick(this.stores)];
    const rotate = async (store: RevocationStore, current: string, next: string): Promise<Answer> => {
      try {
        return await store.rotate(chain.family, current, next, hour());
      } catch (error) {
        if ((error as { code?: string }).code !== 'auth_unavailable') this.oracle.violation(`rotate threw ${String(error)}`);
        return 'unavailable';
      }
    };
    if (chain.past.length > 0 && Math.random() < 0.25) {
      const replayed = await rotate(a, pick(chain.past), `${chain.family}-replay-${++this.n}`);
      this.oracle.judgedOne(replayed);
      if (replayed === true) this.oracle.violation(`${chain.family}: a rotated refresh token was accepted again`);
      return;
    }
    const [nextA, nextB] = [`${chain.family}-r${++this.n}`, `${chain.family}-r${++this.n}`];
    const results = await Promise.all([rotate(a, chain.current, nextA), rotate(b, chain.current, nextB)]);
    for (const result of results) this.oracle.judgedOne(result);
    this.oracle.wrote(!results.includes('unavailable'));
    if (results[0] === true && results[1] === true) this.oracle.violation(`${chain.family}: one refresh token rotated twice`);
    if (results.includes('unavailable')) {
      // It may have rotated: this chain's state is unknown from here on.
      this.chains = this.chains.filter((other) => other !== chain);
      return;
    }
    if (results[0] !== true && results[1] !== true) this.oracle.violation(`${chain.family}: the live refresh token was refused`);
    chain.past.push(chain.current);
    chain.current = results[0] === true ? nextA : nextB;
  }

  private async checkLoop(store: RevocationStore): Promise<void> {
    while (this.running) {
      if (this.revoked.length > 0 && Math.random() < 0.7) {
        const recent = Math.random() < 0.7;
        const item = recent
          ? this.revoked[this.revoked.length - 1 - Math.floor(Math.random() * Math.min(30, this.revoked.length))]!
          : pick(this.revoked);
        const startedAt = performance.now();
        this.oracle.revoked(item.label, item.resolvedAt, startedAt, await answer(store, item.query, this.oracle));
      } else {
        const control = pick(this.controls);
        this.oracle.control(control.label, await answer(store, control.query, this.oracle));
      }
      await sleep(1);
    }
  }
}

interface Login {
  user: string;
  access: string[];
  refresh: string;
  rotated: string[];
  state: 'live' | 'revoked' | 'unknown';
  revokedAt: number;
  /** A logout or replay of it is in flight: it may already be revoked. */
  pending: boolean;
}

/**
 * Logins, refreshes, logouts, logout-alls and replayed refresh tokens over HTTP on two app
 * instances, while a checker asks both apps about every login's access tokens.
 */
export class AppWorkload {
  private n = 0;
  private readonly logins: Login[] = [];
  private readonly retired = new Set<string>();
  private running = true;
  private readonly loops: Array<Promise<void>> = [];

  constructor(
    private readonly apps: Array<{ name: string; http: TestAgent }>,
    private readonly oracle: Oracle,
    private readonly tag: string,
  ) {}

  start(): void {
    this.loops.push(this.writeLoop(), this.checkLoop(), this.checkLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private live(): Login[] {
    return this.logins.filter((login) => login.state === 'live' && !this.retired.has(login.user));
  }

  private async writeLoop(): Promise<void> {
    while (this.running) {
      const roll = Math.random();
      const live = this.live();
      const app = pick(this.apps);
      if (roll < 0.3 || live.length < 3) await this.login(app);
      else if (roll < 0.45) await this.logout(app, pick(live));
      else if (roll < 0.52) await this.logoutAll(app, pick(live));
      else if (roll < 0.9) await this.refresh(app, pick(live));
      else await this.replay(app);
      await sleep(10);
    }
  }

  private async login(app: { http: TestAgent }): Promise<void> {
    const users = [...new Set(this.live().map((login) => login.user))];
    const user = users.length > 0 && Math.random() < 0.3 ? pick(users) : `${this.tag}-u${++this.n}`;
    const res = await app.http.post('/auth/login').send({ id: user });
    if (res.status !== 200) return this.oracle.violation(`login answered ${res.status}`);
    this.logins.push({
      user,
      access: [res.body.access_token],
      refresh: res.body.refresh_token,
      rotated: [],
      state: 'live',
      revokedAt: 0,
      pending: false,
    });
  }

  private async logout(app: { http: TestAgent }, login: Login): Promise<void> {
    login.pending = true;
    const res = await app.http.post('/auth/logout').set('authorization', `Bearer ${pick(login.access)}`);
    this.settle(res.status, res.body?.code, [login], 'logout');
  }

  private async logoutAll(app: { http: TestAgent }, login: Login): Promise<void> {
    this.retired.add(login.user);
    const mine = this.logins.filter((other) => other.user === login.user && other.state === 'live');
    const res = await app.http.post('/auth/logout-all').set('authorization', `Bearer ${pick(login.access)}`);
    this.settle(res.status, res.body?.code, mine, 'logout-all');
  }

  private settle(status: number, code: string | undefined, logins: Login[], what: string): void {
    this.oracle.wrote(status === 200);
    const at = performance.now();
    for (const login of logins) {
      login.pending = false;
      if (status === 200) Object.assign(login, { state: 'revoked', revokedAt: at });
      else login.state = 'unknown';
    }
    if (status !== 200 && status !== 503) this.oracle.violation(`${what} of a live login answered ${status} ${code}`);
  }

  private async refresh(app: { http: TestAgent }, login: Login): Promise<void> {
    const old = login.refresh;
    const res = await app.http.post('/auth/refresh').send({ refresh_token: old });
    this.oracle.wrote(res.status === 200);
    if (res.status === 200) {
      login.rotated.push(old);
      login.refresh = res.body.refresh_token;
      login.access.push(res.body.access_token);
      return;
    }
    // A 503 may have rotated it: this login's state is unknown from here on.
    login.state = 'unknown';
    if (res.status !== 503) this.oracle.violation(`refresh of a live login answered ${res.status} ${res.body?.code}`);
  }

  /** A rotated refresh token presented again: refused, and the login is ended (reuse detection). */
  private async replay(app: { http: TestAgent }): Promise<void> {
    const candidates = this.live().filter((login) => login.rotated.length > 0);
    if (candidates.length === 0) return;
    const login = pick(candidates);
    login.pending = true;
    const res = await app.http.post('/auth/refresh').send({ refresh_token: pick(login.rotated) });
    login.pending = false;
    this.oracle.judgedOne(res.status === 503 ? 'unavailable' : res.status === 401);
    if (res.status === 200) this.oracle.violation('a replayed refresh token got a new pair');
    else if (res.status === 401 && res.body.code === 'token_reused')
      Object.assign(login, { state: 'revoked', revokedAt: performance.now() });
    else if (res.status === 503) login.state = 'unknown';
    else this.oracle.violation(`a replayed refresh token answered ${res.status} ${res.body?.code}`);
  }

  private async checkLoop(): Promise<void> {
    while (this.running) {
      const known = this.logins.filter((login) => login.state !== 'unknown');
      if (known.length === 0) {
        await sleep(10);
        continue;
      }
      const login = pick(known);
      const app = pick(this.apps);
      const wasLive = login.state === 'live' && !login.pending && !this.retired.has(login.user);
      const startedAt = performance.now();
      const res = await app.http.get('/auth/me').set('authorization', `Bearer ${pick(login.access)}`);
      let got: Answer;
      if (res.status === 200) got = false;
      else if (res.status === 401 && res.body.code === 'token_revoked') got = true;
      else if (res.status === 503) got = 'unavailable';
      else {
        this.oracle.violation(`GET /auth/me on ${app.name} answered ${res.status} ${res.body?.code}`);
        continue;
      }
      // The login may have changed state while the request was in flight; judge only what held throughout.
      const stillLive = login.state === 'live' && !login.pending && !this.retired.has(login.user);
      if (login.state === 'revoked' && login.revokedAt <= startedAt) {
        this.oracle.revoked(`login of ${login.user} on ${app.name}`, login.revokedAt, startedAt, got);
      } else if (wasLive && stillLive) this.oracle.control(`live login of ${login.user} on ${app.name}`, got);
      await sleep(2);
    }
  }
}
