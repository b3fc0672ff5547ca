/**
 * The key of a microservice message that carries a credential. Reserved: a payload whose top
 * level has this key is read as an envelope, never handed to the handler as it is.
 */
export const CREDENTIALS_KEY = '$warden';

/**
 * A microservice message with its credential, as {@link withCredentials} builds it: the
 * credential headers under `$warden`, the handler's payload under `data`. The global guard
 * reads the headers and hands the handler `data` alone (what `@Payload()` gives).
 */
export interface CredentialEnvelope<T = unknown> {
  /** Credential headers, lower-case names, string values: `authorization`, `x-api-key`, … */
  readonly $warden: Readonly<Record<string, string>>;
  /** The payload the handler receives. */
  readonly data: T;
}

/** At most this many credential headers in one envelope. */
export const MAX_ENVELOPE_HEADERS = 8;
/** At most this many characters in one credential header value (a backend may allow fewer). */
export const MAX_ENVELOPE_VALUE = 16_384;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Wraps a microservice payload with a credential, for `ClientProxy.send()` / `emit()`.
 * A string is the `Authorization` header's value (`'Bearer <jwt>'`); an object gives
 * headers by name (`{ 'x-api-key': key }`), as the app's backends read them over HTTP.
 *
 * @example
 * ```ts
 * client.send('orders.create', withCredentials(order, `Bearer ${accessToken}`));
 * client.emit('audit', withCredentials(event, { 'x-api-key': process.env.SERVICE_KEY! }));
 * ```
 * @throws TypeError when the credential is empty or not a string / an object of strings.
 */
export function withCredentials<T>(data: T, credentials: string | Readonly<Record<string, string>>): CredentialEnvelope<T> {
  const headers = typeof credentials === 'string' ? { authorization: credentials } : credentials;
  const parsed = typeof headers === 'object' && headers !== null ? parseHeaders(headers) : { problem: 'not an object' };
  if (isProblem(parsed) || Object.keys(parsed).length === 0) {
    throw new TypeError(
      `withCredentials(): the credential must be a non-empty string ('Bearer <token>') or an object of header names to ` +
        `non-empty strings ({ 'x-api-key': key }): ${isProblem(parsed) ? parsed.problem : 'no header given'}`,
    );
  }
  return { [CREDENTIALS_KEY]: { ...parsed }, data };
}

/** Why an envelope's credential cannot be trusted; `twice` when one header is given twice (in two cases). */
export interface EnvelopeProblem {
  problem: string;
  twice?: true;
}

/** An envelope as read from a message: the payload and its headers, or why they cannot be trusted. */
export type ReadEnvelope = { data: unknown; headers: Record<string, string> } | ({ data: unknown } & EnvelopeProblem);

/**
 * Reads a received message: `undefined` when it is not an envelope (no credential: the
 * payload goes to the handler unchanged), else the inner payload with its credential
 * headers, or with the reason it cannot be trusted (the guard answers 401 `token_malformed`
 * to anything but a `@Public()` handler).
 */
export function readEnvelope(message: unknown): ReadEnvelope | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message) || !Object.hasOwn(message, CREDENTIALS_KEY)) {
    return undefined;
  }
  const envelope = message as Record<string, unknown>;
  const data = envelope.data;
  const extra = Object.keys(envelope).filter((key) => key !== CREDENTIALS_KEY && key !== 'data');
  if (extra.length > 0) return { data, problem: `the credential envelope has unknown keys (only ${CREDENTIALS_KEY} and data)` };
  const headers = envelope[CREDENTIALS_KEY];
  if (typeof headers !== 'object' || headers === null) return { data, problem: `${CREDENTIALS_KEY} must be an object of headers` };
  const parsed = parseHeaders(headers);
  return isProblem(parsed) ? { data, ...parsed } : { data, headers: parsed };
}

// Parsed headers have no prototype, so a header named `problem` is never taken for one.
function isProblem(value: Record<string, string> | EnvelopeProblem): value is EnvelopeProblem {
  return Object.getPrototypeOf(value) !== null;
}

/**
 * Header names lower-cased and checked, each once, in an object without a prototype (so a
 * header named `__proto__` is just a name); what is wrong otherwise.
 */
function parseHeaders(headers: object): Record<string, string> | EnvelopeProblem {
  const prototype: unknown = Object.getPrototypeOf(headers);
  if (Array.isArray(headers) || (prototype !== Object.prototype && prototype !== null)) {
    return { problem: `${CREDENTIALS_KEY} must be a plain object of headers` };
  }
  const entries = Object.entries(headers);
  if (entries.length > MAX_ENVELOPE_HEADERS) return { problem: `${CREDENTIALS_KEY} holds more than ${MAX_ENVELOPE_HEADERS} headers` };
  const parsed = Object.create(null) as Record<string, string>;
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name)) return { problem: `${CREDENTIALS_KEY} has an invalid header name` };
    if (typeof value !== 'string' || value === '') return { problem: `${CREDENTIALS_KEY}.${name} must be a non-empty string` };
    if (value.length > MAX_ENVELOPE_VALUE) {
      return { problem: `${CREDENTIALS_KEY}.${name} is longer than ${MAX_ENVELOPE_VALUE} characters` };
    }
    if (Object.hasOwn(parsed, name)) return { problem: `${CREDENTIALS_KEY}.${name} was sent more than once`, twice: true };
    parsed[name] = value;
  }
  return parsed;
}
