import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AuthUnavailableError, TokenInvalidError } from '../auth.errors.js';
import type { EventSink } from '../events/auth-event.interface.js';
import { keyMismatch, type JwtAlgorithm } from './jwt-algorithms.js';
import { fetchJson, MAX_DOCUMENT_BYTES } from './oidc-fetch.js';

/** Settings of a remote key set. */
export interface JwksSettings {
  /** The key set's URL; or give `locate`. */
  uri?: string;
  /**
   * Finds the key set's URL (OpenID discovery) before a fetch; called again after a failed
   * fetch, so a provider that moved its keys is followed. Its failure fails the fetch (503).
   */
  locate?: () => Promise<string>;
  /** Minimum time between two fetches triggered by unknown `kid`s. */
  cooldownMs: number;
  /** Age after which the set is refreshed in the background (key rotation). */
  maxAgeMs: number;
  /** A fetch that takes longer is abandoned: the request fails closed instead of hanging. */
  timeoutMs: number;
}

interface RemoteKey {
  kid: string | undefined;
  alg: string | undefined;
  key: KeyObject;
}

/**
 * A remote JSON Web Key Set (RFC 7517), fetched from an identity provider and cached.
 * Keys are chosen by `kid` and must fit the token's algorithm (type, curve, RSA size);
 * symmetric and encryption keys are never used. A cached key answers synchronously; an
 * unknown `kid` triggers at most one fetch per cooldown, shared by concurrent requests, and
 * so does a set that never loaded (a failed fetch is not retried before the cooldown: 503
 * meanwhile). The body is read up to 512 KiB and the connection dropped past it. A key the
 * set no longer lists is reported to {@link onKeysRemoved} listeners (the verified-token cache).
 */
export class JwksKeySet {
  private keys: RemoteKey[] = [];
  private readonly removedListeners: Array<(keys: readonly KeyObject[]) => void> = [];
  /** The event sinks of the apps this key set serves (one backend object may serve several apps). */
  private readonly sinks = new Set<EventSink>();
  private loaded = false;
  private fetchedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastFailed = false;
  private inflight: Promise<void> | undefined;
  /** The URL keys are fetched from: `settings.uri`, or what `settings.locate` found last. */
  private uri: string | undefined;

  constructor(private readonly settings: JwksSettings) {
    this.uri = settings.uri;
  }

  /** Validates a `jwksUri` at start-up: HTTPS, or plain HTTP on loopback only. */
  static checkUri(uri: string, what: string, option = 'jwksUri'): void {
    const problem = insecureUrl(uri);
    if (problem !== undefined) throw new TypeError(`${what}: \`${option}\` ${problem}`);
  }

  /**
   * Starts a background refresh when the set is older than `maxAgeMs` (and the cooldown allows);
   * returns the time it looked at. Called on every lookup, cached tokens included, so a set whose
   * tokens are all cached still notices a removed key.
   */
  refreshIfStale(): number {
    const now = Date.now();
    if (this.loaded && now - this.fetchedAt > this.settings.maxAgeMs && now - this.lastAttempt >= this.settings.cooldownMs) {
      void this.refresh().catch(() => undefined);
    }
    return now;
  }

  /** Calls `listener` with the keys a refresh of the set removed (a key kept across refreshes stays the same object). */
  onKeysRemoved(listener: (keys: readonly KeyObject[]) => void): void {
    this.removedListeners.push(listener);
  }

  /**
   * Reports this key set's fetches to `sink` (`jwks.refreshed` / `jwks.failed`, the `warden.jwks.fetch`
   * span). Returns the function that stops it: an app calls it when it closes, so a backend object
   * reused by many apps keeps no closed app's events alive.
   */
  reportTo(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => {
      this.sinks.delete(sink);
    };
  }

  /** Whether `key` is in the set as last fetched. */
  holds(key: KeyObject): boolean {
    return this.keys.some((candidate) => candidate.key === key);
  }

  /** The key for a token header: synchronous when cached, a Promise when a fetch is needed. */
  resolve(kid: unknown, alg: JwtAlgorithm): KeyObject | Promise<KeyObject> {
    const now = this.refreshIfStale();
    const found = this.find(kid, alg);
    if (found !== undefined) return found;
    // A set that never loaded is refetched no sooner than one that did: a failing endpoint must
    // not be asked once per request with a kid.
    if (this.inflight !== undefined || now - this.lastAttempt >= this.settings.cooldownMs) {
      return this.refresh().then(
        () => this.find(kid, alg) ?? Promise.reject(new TokenInvalidError('No key of the key set matches the token')),
        (error: unknown) => {
          throw new AuthUnavailableError('The key set could not be fetched', { cause: error });
        },
      );
    }
    if (this.lastFailed) throw new AuthUnavailableError('The key set could not be fetched');
    throw new TokenInvalidError('No key of the key set matches the token');
  }

  private find(kid: unknown, alg: JwtAlgorithm): KeyObject | undefined {
    for (const candidate of this.keys) {
      if (kid !== undefined && candidate.kid !== kid) continue;
      if (candidate.alg !== undefined && candidate.alg !== alg) continue;
      if (keyMismatch(alg, candidate.key) === null) return candidate.key;
    }
    return undefined;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttempt = Date.now();
    const spans = [...this.sinks].flatMap((sink) => sink.tracer?.start('warden.jwks.fetch', {}) ?? []);
    try {
      const uri = (this.uri ??= await this.settings.locate!());
      const limits = { timeoutMs: this.settings.timeoutMs, maxBytes: MAX_DOCUMENT_BYTES };
      const body = (await fetchJson(uri, limits, 'the key set')) as { keys?: unknown } | null;
      if (typeof body !== 'object' || body === null || !Array.isArray(body.keys)) throw new Error('the key set has no "keys" array');
      this.replaceKeys(body.keys.flatMap((jwk) => importRemoteKey(jwk, this.keys)));
      this.loaded = true;
      this.fetchedAt = Date.now();
      this.lastFailed = false;
      for (const span of spans) span.end();
      this.report({ type: 'jwks.refreshed', uri, keys: this.keys.length, durationMs: Date.now() - this.lastAttempt });
    } catch (error) {
      this.lastFailed = true;
      for (const span of spans) span.end(error);
      const reason = error instanceof Error ? error.message : String(error);
      this.report({
        type: 'jwks.failed',
        uri: this.uri ?? this.settings.uri ?? '(not discovered)',
        reason,
        durationMs: Date.now() - this.lastAttempt,
      });
      // A located URL is looked up again next time: the provider may have moved its keys.
      if (this.settings.locate !== undefined) this.uri = undefined;
      throw error;
    }
  }

  private report(event: Parameters<EventSink['emit']>[0]): void {
    for (const sink of this.sinks) sink.emit(event);
  }

  /** Installs a fetched set and tells the listeners which keys left it. */
  private replaceKeys(next: RemoteKey[]): void {
    const kept = new Set(next.map((candidate) => candidate.key));
    const removed = this.keys.filter((candidate) => !kept.has(candidate.key)).map((candidate) => candidate.key);
    this.keys = next;
    if (removed.length > 0) for (const listener of this.removedListeners) listener(removed);
  }
}

/**
 * One usable key of a fetched set. A key the previous set held (same `kid`, `alg` and key
 * material) keeps its `KeyObject`, so the verified-token cache can tell a kept key from a removed one.
 */
function importRemoteKey(value: unknown, previous: readonly RemoteKey[]): RemoteKey[] {
  if (typeof value !== 'object' || value === null) return [];
  const jwk = value as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  // Encryption keys and shared secrets never verify signatures here.
  if (jwk.use === 'enc' || jwk.kty === 'oct' || typeof jwk.kty !== 'string' || 'd' in jwk) return [];
  try {
    const fresh = createPublicKey({ key: jwk, format: 'jwk' });
    const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
    const alg = typeof jwk.alg === 'string' ? jwk.alg : undefined;
    const same = previous.find((old) => old.kid === kid && old.alg === alg && old.key.equals(fresh));
    return [same ?? { kid, alg, key: fresh }];
  } catch {
    return [];
  }
}

/**
 * Why a provider URL is refused, or `undefined`: it must be https, or plain http on loopback
 * (127.0.0.1, localhost, [::1]) only, where a test or a sidecar runs.
 */
export function insecureUrl(uri: unknown): string | undefined {
  let url: URL;
  try {
    url = new URL(String(uri));
  } catch {
    return 'is not a URL';
  }
  if (typeof uri !== 'string') return 'is not a URL';
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return undefined;
  return 'must use https: (plain http is only accepted on 127.0.0.1 or localhost)';
}
