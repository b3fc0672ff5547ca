/**
 * Whether a WebSocket handshake may authenticate with a cookie. A browser sends cookies on
 * a cross-site WebSocket handshake (and on a cross-origin socket.io polling request with
 * `withCredentials`), and a WebSocket carries no CSRF header, so the `Origin` is the only
 * proof of where the page came from. Allowed:
 * - no `Origin` at all: not a cross-origin browser request (browsers send `Origin` on every
 *   WebSocket handshake and every cross-origin request; only same-origin GETs omit it);
 * - an `Origin` whose host (and port) is the handshake's `Host`, with the `https:` scheme when
 *   the handshake itself was secure (`secure`): a page on `http://` the same host (anyone on
 *   the network can write one) never uses the HTTPS site's cookies over `wss:`;
 * - an `Origin` listed in `websocket.allowedOrigins`, scheme included.
 *
 * `Origin: null` (sandboxed frames, `file:`) and anything unparsable are refused.
 *
 * @param secure the handshake came over TLS, or through a proxy that says so (`X-Forwarded-Proto: https`).
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: ReadonlySet<string>, secure = false): boolean {
  if (origin === undefined) return true;
  const parsed = parseOrigin(origin);
  if (parsed === undefined) return false;
  if (allowed.has(parsed.origin)) return true;
  if (host === undefined || host.length === 0) return false;
  if (secure && parsed.protocol !== 'https:') return false;
  const own = parseOrigin(`${parsed.protocol}//${host}`);
  return own !== undefined && own.host === parsed.host;
}

/**
 * Whether a handshake was made over HTTPS: TLS on this server, or a proxy in front that says so
 * (`X-Forwarded-Proto` / `Forwarded: proto=`, any hop saying `https`). A browser cannot set
 * these headers on a WebSocket handshake, and they can only make the `Origin` check stricter.
 */
export function secureHandshake(tls: boolean, headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  if (tls) return true;
  const forwarded = [headers['x-forwarded-proto'], headers.forwarded].flat().join(',').toLowerCase();
  return /(?:^|[\s,;])(?:proto=)?"?https"?(?:$|[\s,;])/.test(forwarded);
}

/**
 * `websocket.allowedOrigins`, checked once at start-up and normalised (`HTTPS://App.example.com:443`
 * is `https://app.example.com`). A value that is not exactly an origin is a `TypeError`: a path,
 * a wildcard or a bare host would not mean what it seems to.
 */
export function resolveAllowedOrigins(websocket: { allowedOrigins?: unknown } | undefined): ReadonlySet<string> {
  if (websocket === undefined) return new Set();
  if (typeof websocket !== 'object' || websocket === null) {
    throw new TypeError("AuthModule: `websocket` must be an object, e.g. { allowedOrigins: ['https://app.example.com'] }");
  }
  const list = websocket.allowedOrigins;
  if (list === undefined) return new Set();
  if (!Array.isArray(list)) {
    throw new TypeError("AuthModule: `websocket.allowedOrigins` must be an array of origins, e.g. ['https://app.example.com']");
  }
  const origins = new Set<string>();
  list.forEach((value: unknown, index) => {
    const parsed = typeof value === 'string' && !value.includes('*') ? parseOrigin(value) : undefined;
    if (parsed === undefined || !sameText(parsed.origin, value as string)) {
      throw new TypeError(
        `AuthModule: websocket.allowedOrigins[${index}] is not an origin: write scheme://host[:port] with no path, ` +
          "e.g. 'https://app.example.com' (no wildcard: list each origin)",
      );
    }
    origins.add(parsed.origin);
  });
  return origins;
}

function parseOrigin(value: string): URL | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.host.length === 0) return undefined;
  return url;
}

/** The same origin up to case and a trailing slash or default port (what `URL` normalises). */
function sameText(normalised: string, given: string): boolean {
  const trimmed = given.endsWith('/') ? given.slice(0, -1) : given;
  if (normalised === trimmed.toLowerCase()) return true;
  const url = new URL(trimmed);
  return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
}
