import type { LogLevel } from '@nestjs/common';
import type { AuthEvent } from './auth-event.interface.js';

/**
 * The log line of each notable event, with its level: what an operator needs to read without
 * a dashboard. Per-request events (logins, refreshes, refusals) have none: a line per request
 * would flood the log and cost on the hot path; subscribe to `AuthEvents` to log them.
 * Lines name ids (user, login family, store, key-set URL), never a credential.
 */
export function logLine(event: AuthEvent): [LogLevel, string] | undefined {
  switch (event.type) {
    case 'refresh.reused':
      return [
        'warn',
        `Refresh token reused: login ${event.family} of user ${event.userId} revoked ` +
          '(a stolen refresh token replayed, or a client that sent the same refresh twice)',
      ];
    case 'logout.all':
      return ['log', `Every token of user ${event.userId} revoked${event.except === null ? '' : ` except login ${event.except}`}`];
    case 'store.unavailable':
      return ['error', `The ${event.store} store is unavailable (${event.reason}): requests that need it answer 503 auth_unavailable`];
    case 'store.recovered':
      return ['log', `The ${event.store} store answers again, after ${Math.round(event.downtimeMs)} ms unavailable`];
    case 'jwks.refreshed':
      return ['debug', `Key set ${event.uri} fetched: ${event.keys} key(s) in ${Math.round(event.durationMs)} ms`];
    case 'jwks.failed':
      return ['warn', `Key set ${event.uri} could not be fetched (${event.reason}): tokens signed by a key not cached answer 503`];
    case 'replica.demoted':
      return ['warn', `The ${event.store} revocation replica is demoted (${event.reason}): checks ask ${event.store} until it catches up`];
    case 'replica.restored':
      return ['log', `The ${event.store} revocation replica answers locally again, after ${Math.round(event.demotedMs)} ms`];
    default:
      return undefined;
  }
}

/**
 * An error as a log line or an event may carry it: its class and message, cut to 200
 * characters, with the credentials of any URL in it (`redis://user:password@host`) removed.
 */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\/\/[^/@\s]*@/g, '//').slice(0, 200);
}
