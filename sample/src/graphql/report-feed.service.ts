import { Injectable } from '@nestjs/common';
import { EventEmitter, on } from 'node:events';
import type { Report } from './report.model.js';

/** Filed reports, published to GraphQL subscribers: an in-process pub/sub (one instance; use Redis pub/sub for several). */
@Injectable()
export class ReportFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(report: Report): void {
    this.emitter.emit('filed', report);
  }

  /**
   * The reports filed from now on. A hand-written iterator rather than an async generator: when
   * a subscriber leaves, `return()` removes the listener at once (a generator would wait for the
   * next report first).
   */
  filed(): AsyncIterableIterator<Report> {
    const source = on(this.emitter, 'filed');
    const iterator: AsyncIterableIterator<Report> = {
      next: async (): Promise<IteratorResult<Report>> => {
        const next = await source.next();
        return next.done === true ? { done: true, value: undefined } : { done: false, value: (next.value as [Report])[0] };
      },
      return: async (): Promise<IteratorResult<Report>> => {
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
