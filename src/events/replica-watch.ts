import { performance } from 'node:perf_hooks';
import type { EventSink } from './auth-event.interface.js';

/**
 * Reports the transitions of a revocation replica: `replica.demoted` when one that served stops
 * answering locally (a failed read or command), `replica.restored` when it answers again. The
 * replica calls {@link update} where its state can change; a call that changes nothing costs a
 * comparison. A replica still loading for the first time is not "demoted".
 */
export class ReplicaWatch {
  private events: EventSink | undefined;
  private store = 'store';
  private state: 'loading' | 'serving' | 'demoted' = 'loading';
  private demotedAt = 0;

  /** Where to report, and the store's name in the events (`'redis'`, `'postgres'`). */
  attach(events: EventSink, store: string): void {
    this.events = events;
    this.store = store;
  }

  /** The replica serves (`true`) or not; `reason` says why it stopped. */
  update(serving: boolean, reason: string): void {
    if (serving) {
      if (this.state === 'demoted') {
        this.events?.emit({ type: 'replica.restored', store: this.store, demotedMs: performance.now() - this.demotedAt });
      }
      this.state = 'serving';
    } else if (this.state === 'serving') {
      this.state = 'demoted';
      this.demotedAt = performance.now();
      this.events?.emit({ type: 'replica.demoted', store: this.store, reason });
    }
  }
}
