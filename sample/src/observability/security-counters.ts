import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AuthEvents, type AuthEvent } from 'nestjs-warden';

/** How often the refusal summary is logged (when there was any). */
const SUMMARY_EVERY_MS = 60_000;

/**
 * Counts what an operator watches: replayed refresh tokens (someone holds a stolen one; each
 * is logged at once) and refused requests (logged as one summary a minute by code, so a flood
 * of bad tokens cannot flood the log). Events carry identifiers only, never a token.
 */
@Injectable()
export class SecurityCounters implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SecurityCounters');
  private readonly counts = { 'refresh.reused': 0, 'auth.refused': 0, 'permission.denied': 0 };
  private refusedSinceSummary = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly events: AuthEvents) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((event) => this.count(event));
    this.timer = setInterval(() => this.logSummary(), SUMMARY_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    clearInterval(this.timer);
    this.logSummary();
  }

  /** The totals since start-up (`auth.refused`: 401, 400 and 503 answers; `permission.denied`: 403). */
  get totals(): Readonly<Record<'refresh.reused' | 'auth.refused' | 'permission.denied', number>> {
    return { ...this.counts };
  }

  /** Logs the refusals counted since the last summary, by code, if any (called every minute and at shutdown). */
  logSummary(): void {
    if (this.refusedSinceSummary.size === 0) return;
    const byCode = [...this.refusedSinceSummary].map(([code, count]) => `${code}: ${count}`).join(', ');
    this.refusedSinceSummary = new Map();
    const { 'auth.refused': refused, 'permission.denied': denied } = this.counts;
    this.logger.log(`auth.refused ${refused}, permission.denied ${denied} since start-up; since the last summary: ${byCode}`);
  }

  private count(event: AuthEvent): void {
    if (event.type === 'refresh.reused') {
      this.counts[event.type] += 1;
      this.logger.warn(`refresh.reused ${this.counts[event.type]} since start-up: login ${event.family} of user ${event.userId} revoked`);
    } else if (event.type === 'auth.refused' || event.type === 'permission.denied') {
      this.counts[event.type] += 1;
      this.refusedSinceSummary.set(event.code, (this.refusedSinceSummary.get(event.code) ?? 0) + 1);
    }
  }
}
