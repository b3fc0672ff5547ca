import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AuthUnavailableError, TokenInvalidError } from '../auth.errors.js';
import { keyMismatch, type JwtAlgorithm } from './jwt-algorithms.js';

/** Settings of a remote key set. */
export interface JwksSettings {
  uri: string;
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

/** A JWKS response larger than this is refused (a key set is a few KiB). */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * A remote JSON Web Key Set (RFC 7517), fetched from an identity provider and cached.
 * Keys are chosen by `kid` and must fit the token's algorithm (type, curve, RSA size);
 * symmetric and encryption keys are never used. A cached key answers synchronously; an
 * unknown `kid` triggers at most one fetch per cooldown, shared by concurrent requests.
 */
export class JwksKeySet {
  private keys: RemoteKey[] = [];
  private loaded = false;
  private fetchedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastFailed = false;
  private inflight: Promise<void> | undefined;

  constructor(private readonly settings: JwksSettings) {}

  /** Validates a `jwksUri` at start-up: HTTPS, or plain HTTP on loopback only. */
  static checkUri(uri: string, what: string): void {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new TypeError(`${what}: \`jwksUri\` is not a URL`);
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      throw new TypeError(`${what}: \`jwksUri\` must use https: (plain http is only accepted on 127.0.0.1 or localhost)`);
    }
  }

  /** The key for a token header: synchronous when cached, a Promise when a fetch is needed. */
  resolve(kid: unknown, alg: JwtAlgorithm): KeyObject | Promise<KeyObject> {
    const now = Date.now();
    if (this.loaded && now - this.fetchedAt > this.settings.maxAgeMs && now - this.lastAttempt >= this.settings.cooldownMs) {
      void this.refresh().catch(() => undefined);
    }
    const found = this.find(kid, alg);
    if (found !== undefined) return found;
    if (this.inflight !== undefined || !this.loaded || now - this.lastAttempt >= this.settings.cooldownMs) {
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
    try {
      const response = await fetch(this.settings.uri, {
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        redirect: 'error',
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`the key set answered HTTP ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('the key set is too large');
      const body = JSON.parse(text) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error('the key set has no "keys" array');
      this.keys = body.keys.flatMap((jwk) => importRemoteKey(jwk));
      this.loaded = true;
      this.fetchedAt = Date.now();
      this.lastFailed = false;
    } catch (error) {
      this.lastFailed = true;
      throw error;
    }
  }
}

function importRemoteKey(value: unknown): RemoteKey[] {
  if (typeof value !== 'object' || value === null) return [];
  const jwk = value as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  // Encryption keys and shared secrets never verify signatures here.
  if (jwk.use === 'enc' || jwk.kty === 'oct' || typeof jwk.kty !== 'string' || 'd' in jwk) return [];
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    return [{ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined, key }];
  } catch {
    return [];
  }
}
