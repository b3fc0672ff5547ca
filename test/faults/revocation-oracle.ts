import { performance } from 'node:perf_hooks';

/** What an instance answered: revoked, not revoked, or 503 (fail closed). */
export type Answer = boolean | 'unavailable';

/** The figures of one schedule. */
export interface ScheduleResult {
  schedule: string;
  writes: number;
  failedWrites: number;
  checks: number;
  judged: number;
  unavailable: number;
  /** The latest "not revoked" answer after a revocation resolved (allowed within the bound), in ms. */
  maxStaleMs: number;
  violations: string[];
}

/** Healthy: every instance refuses within 100 ms; under a fault (and 2 s after it ends), within 1 s. */
export const HEALTHY_BOUND_MS = 100;
export const FAULT_BOUND_MS = 1000;
const SETTLE_MS = 2000;

/**
 * Judges every answer against what was revoked when. A revocation counts from the moment its
 * `revoke*()` (or its HTTP logout) resolved; from then on, past the bound, an instance must answer
 * "revoked" or 503. A control (never revoked) must be answered "not revoked" or 503.
 */
export class Oracle {
  private faultFrom = Infinity;
  private faultTo = -Infinity;
  private result: ScheduleResult;

  constructor(schedule: string) {
    this.result = { schedule, writes: 0, failedWrites: 0, checks: 0, judged: 0, unavailable: 0, maxStaleMs: 0, violations: [] };
  }

  /** Marks the fault window (performance.now() times). */
  faultStarts(): void {
    this.faultFrom = Math.min(this.faultFrom, performance.now());
    this.faultTo = Infinity;
  }
  faultEnds(): void {
    this.faultTo = performance.now();
  }
  /** The whole schedule is one fault (e.g. the million-key re-sync). */
  faultThroughout(): void {
    this.faultFrom = -Infinity;
    this.faultTo = Infinity;
  }

  wrote(ok: boolean): void {
    this.result.writes++;
    if (!ok) this.result.failedWrites++;
  }

  private bound(resolvedAt: number, checkedAt: number): number {
    const inFault = (t: number): boolean => t >= this.faultFrom && t <= this.faultTo + SETTLE_MS;
    return inFault(resolvedAt) || inFault(checkedAt) ? FAULT_BOUND_MS : HEALTHY_BOUND_MS;
  }

  /** An answer about something revoked at `resolvedAt` (performance.now()), asked at `startedAt`. */
  revoked(label: string, resolvedAt: number, startedAt: number, answer: Answer): void {
    this.result.checks++;
    if (answer === 'unavailable') this.result.unavailable++;
    const lag = startedAt - resolvedAt;
    if (answer === false && lag > this.result.maxStaleMs) this.result.maxStaleMs = lag;
    if (lag < this.bound(resolvedAt, startedAt)) return;
    this.result.judged++;
    if (answer === false) this.violation(`${label}: "not revoked" ${Math.round(lag)} ms after the revocation resolved`);
  }

  /** An answer about something never revoked. */
  control(label: string, answer: Answer): void {
    this.result.checks++;
    this.result.judged++;
    if (answer === 'unavailable') this.result.unavailable++;
    if (answer === true) this.violation(`${label}: "revoked", though never revoked`);
  }

  /** Anything else that must not happen (a replay accepted, two rotations of one token, a 500). */
  violation(what: string): void {
    this.result.violations.push(what);
  }

  /** Counts an answer that was checked and judged outside revoked()/control(). */
  judgedOne(answer: Answer): void {
    this.result.checks++;
    this.result.judged++;
    if (answer === 'unavailable') this.result.unavailable++;
  }

  get figures(): ScheduleResult {
    return this.result;
  }
}

/** The closing table: one row per schedule. */
export function scheduleTable(results: ScheduleResult[]): string {
  const header = ['schedule', 'writes (503)', 'checks', 'judged', '503 answers', 'max stale "no" (ms)', 'violations'];
  const rows = results.map((r) => [
    r.schedule,
    `${r.writes} (${r.failedWrites})`,
    String(r.checks),
    String(r.judged),
    String(r.unavailable),
    String(Math.round(r.maxStaleMs)),
    String(r.violations.length),
  ]);
  const total = results.reduce(
    (sum, r) => ({ checks: sum.checks + r.checks, judged: sum.judged + r.judged, violations: sum.violations + r.violations.length }),
    { checks: 0, judged: 0, violations: 0 },
  );
  rows.push(['total', '', String(total.checks), String(total.judged), '', '', String(total.violations)]);
  return [header, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
