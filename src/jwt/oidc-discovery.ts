import { isSymmetric, type JwtAlgorithm } from './jwt-algorithms.js';
import { insecureUrl, JwksKeySet } from './jwks-key-set.js';
import { fetchJson, MAX_DOCUMENT_BYTES } from './oidc-fetch.js';

/** Where a verifier's keys come from when they are remote: a JWKS URL, or the issuer's OpenID discovery. */
export interface RemoteKeyOptions {
  /** A remote key set (an identity provider's JWKS), keys chosen by `kid`; https, or http on loopback. */
  jwksUri?: string;
  /**
   * OpenID Connect discovery: read `${issuer}/.well-known/openid-configuration` (its `issuer`
   * must equal the configured one), then verify with the key set its `jwks_uri` names. Needs
   * `issuer` (one https URL; http only on 127.0.0.1/localhost) and no `jwksUri`, `secret` or
   * `publicKey`. Nothing is fetched at start-up: the first token fetches both documents, a
   * provider that is down answers 503 `auth_unavailable`, retried after `jwksCooldownMs`.
   * The `jwks_uri` may be on another host (Google's is), but must be https when the issuer is.
   * @default false
   */
  discovery?: boolean;
  /**
   * Minimum milliseconds between two fetches caused by unknown `kid`s.
   * @default 30000
   */
  jwksCooldownMs?: number;
  /**
   * Milliseconds after which the key set is refreshed in the background (key rotation).
   * @default 600000
   */
  jwksMaxAgeMs?: number;
  /**
   * Milliseconds a fetch may take; past it the request fails closed (503 `auth_unavailable`).
   * @default 5000
   */
  jwksTimeoutMs?: number;
}

/** What {@link remoteKeySet} reads of a verifier's options. */
interface KeySource extends RemoteKeyOptions {
  secret?: unknown;
  publicKey?: unknown;
  algorithms: readonly JwtAlgorithm[];
  issuer?: string | string[];
}

/**
 * The remote key set of a verifier's options (`jwksUri`, or `issuer` with `discovery`), checked
 * at start-up (a `TypeError` names the bad option), or `undefined` when its keys are local.
 */
export function remoteKeySet(options: KeySource, what: string): JwksKeySet | undefined {
  const discovery = options.discovery;
  if (discovery !== undefined && typeof discovery !== 'boolean') throw new TypeError(`${what}: \`discovery\` must be true or false`);
  if (options.jwksUri === undefined && discovery !== true) return undefined;
  if (discovery === true && options.jwksUri !== undefined) {
    throw new TypeError(`${what}: give either \`discovery\` (the key set is found from \`issuer\`) or \`jwksUri\`, not both`);
  }
  if (options.secret !== undefined || options.publicKey !== undefined) {
    throw new TypeError(
      `${what}: give either ${discovery === true ? '`discovery`' : '`jwksUri`'} or \`secret\`/\`publicKey\`, not both (use two backends)`,
    );
  }
  const symmetric = options.algorithms.find((algorithm) => isSymmetric(algorithm));
  if (symmetric !== undefined) {
    throw new TypeError(`${what}: ${symmetric} cannot be verified with a JWKS (shared secrets are never fetched)`);
  }
  const timeoutMs = options.jwksTimeoutMs ?? 5_000;
  const settings = { cooldownMs: options.jwksCooldownMs ?? 30_000, maxAgeMs: options.jwksMaxAgeMs ?? 600_000, timeoutMs };
  if (discovery !== true) {
    JwksKeySet.checkUri(options.jwksUri!, what);
    return new JwksKeySet({ ...settings, uri: options.jwksUri });
  }
  const issuer = options.issuer;
  if (typeof issuer !== 'string') {
    throw new TypeError(
      `${what}: \`discovery\` needs \`issuer\`: the provider's issuer URL (one string), e.g. 'https://auth.example.com/realms/main'`,
    );
  }
  JwksKeySet.checkUri(issuer, what, 'issuer');
  return new JwksKeySet({ ...settings, locate: () => discoverJwksUri(issuer, timeoutMs) });
}

/**
 * The URL of an issuer's OpenID configuration (OpenID Connect Discovery 1.0 §4: a trailing `/`
 * of the issuer is dropped before `/.well-known/openid-configuration` is appended).
 */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Reads an issuer's OpenID configuration and answers its `jwks_uri`, refusing (an `Error`, which
 * the key set turns into 503 `auth_unavailable`) a document whose `issuer` is not exactly the
 * configured one (§4.3: it could otherwise hand out another provider's keys), a `jwks_uri` that
 * is not https (http only when the issuer itself is http on loopback), or a document that is too
 * large, late, redirected or not JSON.
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const document = await fetchJson(discoveryUrl(issuer), { timeoutMs, maxBytes: MAX_DOCUMENT_BYTES }, 'the OpenID configuration');
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error('the OpenID configuration is not a JSON object');
  }
  const { issuer: declared, jwks_uri: jwksUri } = document as Record<string, unknown>;
  if (declared !== issuer) throw new Error('the OpenID configuration names another issuer');
  const problem = insecureUrl(jwksUri);
  if (problem !== undefined) throw new Error(`the OpenID configuration's jwks_uri ${problem}`);
  if (new URL(issuer).protocol === 'https:' && new URL(jwksUri as string).protocol !== 'https:') {
    throw new Error("the OpenID configuration's jwks_uri is not https while the issuer is");
  }
  return jwksUri as string;
}
