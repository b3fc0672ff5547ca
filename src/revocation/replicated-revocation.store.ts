import type { EventSink, ObservableStore, ReplicaState } from '../events/auth-event.interface.js';
import { StoreHealth, traced } from '../events/traced-work.js';
import type { ReplicaEngine } from './replica-engine.js';
import type { RevocationKind } from './revocation-set.js';
import { RevocationStore, type RevocationQuery } from './revocation.store.js';
import { userCutoff, type UserCutoff } from './user-cutoff.js';

/**
 * What `RedisRevocation` and `PostgresRevocation` share: the hot path answered by a local
 * replica (the shared store asked only when the replica cannot say, or for `fresh`), every
 * revocation written through one `write`, and every call to the shared store timed, traced
 * and watched for outages (`store.unavailable` / `store.recovered`, a failed call demotes the
 * replica). A store adds its own `write`, `ask` and `rotate`.
 */
export abstract class ReplicatedRevocationStore extends RevocationStore implements ObservableStore {
  /** The local replica, built by the store's constructor. */
  protected abstract readonly replica: ReplicaEngine<unknown>;
  private readonly health: StoreHealth;
  private events: EventSink | undefined;

  /** @param system the store's name in events and the `db.system.name` of its spans (`'redis'`, `'postgresql'`). */
  protected constructor(private readonly system: string) {
    super();
    this.health = new StoreHealth(system);
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    await this.write('jti', jti, expiresAt);
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    await this.write('family', family, expiresAt);
  }

  async revokeAllForUser(sub: string, cutoff: number, expiresAt: number, options: { except?: string } = {}): Promise<void> {
    await this.write('user', sub, expiresAt, userCutoff(cutoff, options.except));
  }

  isRevoked(query: RevocationQuery, options?: { fresh?: boolean }): boolean | Promise<boolean> {
    if (options?.fresh !== true) {
      const answer = this.replica.answer(query);
      if (answer !== undefined) return answer;
    }
    return this.ask(query);
  }

  /** Reports outages, replica demotions and spans to the app's events (called by `AuthModule`). */
  attachEvents(events: EventSink): void {
    this.events = events;
    this.health.attach(events);
    this.replica.attachEvents(events, this.system);
  }

  /** The local replica's state (entries, staleness, serving), read by `nestjs-warden/otel`'s gauges. */
  get replicaState(): ReplicaState {
    return this.replica.state;
  }

  /** Records a revocation in the shared store (and the replica); an expired token's is skipped. */
  protected abstract write(kind: RevocationKind, id: string, expiresAt: number, cutoff?: UserCutoff): Promise<void>;

  /** Asks the shared store whether the query is revoked. */
  protected abstract ask(query: RevocationQuery): Promise<boolean>;

  /**
   * One call to the shared store, `name`d for its span (`warden.revocation.<system>`): an
   * answer ends an outage, a failure starts one and demotes the replica (fail closed).
   */
  protected async tracked<T>(name: string, call: () => Promise<T>): Promise<T> {
    try {
      const attributes = { 'db.system.name': this.system, 'warden.store.operation': name };
      const answer = await traced(this.events, `warden.revocation.${this.system}`, attributes, call);
      this.health.answered();
      return answer;
    } catch (error) {
      this.replica.demote(`a ${this.system} call failed: ${name}`);
      this.health.failed(error);
      throw error;
    }
  }
}
