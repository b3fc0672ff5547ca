import type { IncomingHttpHeaders } from 'node:http';
import { CredentialsMissingError, CsrfFailedError, TokenMalformedError, type AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { credentialSettingsOf } from '../credentials/credential-settings.js';
import { originAllowed, secureHandshake } from './ws-origin.js';

/** What nestjs-warden keeps of a WebSocket handshake: the upgrade (or first polling) request's headers and URL. */
export interface WsHandshake {
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  url: string;
  /** socket.io's `auth` payload (`io(url, { auth })`); `undefined` on the ws adapter. */
  auth?: unknown;
  /** The handshake came over TLS (`wss:`, `https:` polling). */
  secure?: boolean;
}

/** Where the ws adapter's handshake is recorded: on the connection's `net.Socket` (see ws-handshakes.ts). */
export const HANDSHAKE = Symbol('warden:ws-handshake');
/** Where a client's prepared connection (headers resolved once) is kept. */
const CONNECTION = Symbol('warden:ws-connection');

/** A connection's credential sources, resolved once from its handshake; each message builds its own carrier from it. */
interface Connection {
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  url: string;
  /** The handshake's `Cookie` header, read only when the handshake's `Origin` is allowed. */
  cookie: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  /** Made over HTTPS (see `secureHandshake`): a cookie then needs an `https:` Origin. */
  secure: boolean;
  /** A credential in the auth payload that is not a string: refused when a backend reads it. */
  badAuth: string | undefined;
  /** No handshake was seen: refused when a backend reads a header. */
  unseen: boolean;
}

type Client = Record<PropertyKey, unknown> & { [CONNECTION]?: Connection };

/**
 * The credential carrier of one WebSocket message: a fresh request-like object per message
 * (so a context set on it never reaches another message or client), built from the
 * connection's handshake. `undefined` for a client of an unknown adapter.
 */
export function wsCarrier(client: unknown): AuthRequest | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const state = client as Client;
  let connection = state[CONNECTION];
  if (connection === undefined) {
    const handshake = handshakeOf(state);
    if (handshake === null) return undefined;
    connection = connectionOf(handshake);
    Object.defineProperty(state, CONNECTION, { value: connection, configurable: true });
  }
  return carrierOf(connection);
}

/** The handshake of a socket.io socket (`socket.handshake`), or of a ws client (recorded on its socket); `undefined` when unseen, `null` when not a WebSocket client. */
function handshakeOf(client: Client): WsHandshake | undefined | null {
  const io = client.handshake as { headers?: unknown; url?: unknown; auth?: unknown; secure?: unknown } | undefined;
  if (typeof io === 'object' && io !== null && typeof io.headers === 'object' && io.headers !== null) {
    const request = client.request as { rawHeaders?: unknown } | undefined;
    const rawHeaders = Array.isArray(request?.rawHeaders) ? (request.rawHeaders as string[]) : [];
    const url = typeof io.url === 'string' ? io.url : '/';
    return { headers: io.headers as IncomingHttpHeaders, rawHeaders, url, auth: io.auth, secure: io.secure === true };
  }
  if (typeof client.readyState !== 'number' || typeof client.send !== 'function') return null;
  // `keepWsHandshake()` put it on the client; else the upgrade listener on its `net.Socket` (ws keeps it as `_socket`).
  const kept = (client as { [HANDSHAKE]?: WsHandshake })[HANDSHAKE];
  if (kept !== undefined) return kept;
  const socket = client._socket as { [HANDSHAKE]?: WsHandshake } | undefined | null;
  return socket?.[HANDSHAKE];
}

function connectionOf(handshake: WsHandshake | undefined): Connection {
  if (handshake === undefined) {
    return {
      headers: {},
      rawHeaders: [],
      url: '/',
      cookie: undefined,
      origin: undefined,
      host: undefined,
      secure: false,
      badAuth: undefined,
      unseen: true,
    };
  }
  const { cookie, ...headers } = handshake.headers;
  const fromAuth = authCredential(handshake.auth);
  let badAuth: string | undefined;
  if (typeof fromAuth === 'string') {
    // Both the header and the payload: a credential sent twice (RFC 6750 §3.1), refused by the header reader.
    const sent = headers.authorization;
    headers.authorization = (sent === undefined ? fromAuth : [sent, fromAuth]) as string;
  } else if (fromAuth !== undefined) {
    badAuth = fromAuth.reason;
  }
  const origin = single(handshake.headers.origin);
  return {
    headers,
    rawHeaders: handshake.rawHeaders,
    url: handshake.url,
    cookie,
    origin,
    host: single(headers.host),
    secure: secureHandshake(handshake.secure === true, handshake.headers),
    badAuth,
    unseen: false,
  };
}

/**
 * The `Authorization` value the socket.io `auth` payload carries: `{ token }` (a JWT, sent as
 * `Bearer <token>`) or `{ authorization }` (a whole header value, e.g. `Api-Key <key>`).
 * `{ reason }` when one of them is present but not a non-empty string.
 */
function authCredential(auth: unknown): string | { reason: string } | undefined {
  if (typeof auth !== 'object' || auth === null) return undefined;
  const { token, authorization } = auth as { token?: unknown; authorization?: unknown };
  if (token !== undefined && token !== null && authorization !== undefined && authorization !== null) {
    return { reason: 'The auth payload carries both `token` and `authorization`' };
  }
  if (token !== undefined && token !== null) {
    return typeof token === 'string' && token.length > 0
      ? `Bearer ${token}`
      : { reason: 'The auth payload `token` must be a non-empty string' };
  }
  if (authorization !== undefined && authorization !== null) {
    return typeof authorization === 'string' && authorization.length > 0
      ? authorization
      : { reason: 'The auth payload `authorization` must be a non-empty string' };
  }
  return undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One message's carrier. Headers a backend must not trust are getters that throw when read, so a
 * `@Public()` handler (no backend runs) still answers: a cookie from a handshake whose `Origin`
 * is not allowed (403 `csrf_failed`), a malformed auth payload (401 `token_malformed`).
 */
function carrierOf(connection: Connection): AuthRequest {
  if (connection.unseen) return { headers: refusingHeaders(), method: 'GET', url: '/', rawHeaders: [] };
  const headers: IncomingHttpHeaders = { ...connection.headers };
  const carrier: AuthRequest = { headers, method: 'GET', url: connection.url, rawHeaders: connection.rawHeaders };
  if (connection.badAuth !== undefined) refuseOnRead(headers, 'authorization', new TokenMalformedError(connection.badAuth));
  const { cookie } = connection;
  if (cookie !== undefined) {
    Object.defineProperty(headers, 'cookie', {
      configurable: true,
      enumerable: false,
      get(): string {
        const { webSocketOrigins } = credentialSettingsOf(carrier, 'WebSocket cookie');
        if (originAllowed(connection.origin, connection.host, webSocketOrigins, connection.secure)) return cookie;
        throw new CsrfFailedError(
          "A cookie credential is not accepted on a WebSocket handshake from another origin: send the token in the handshake's " +
            'Authorization header or auth payload, or list the origin in the `websocket.allowedOrigins` option',
        );
      },
    });
  }
  return carrier;
}

function refuseOnRead(headers: IncomingHttpHeaders, name: string, error: AuthError): void {
  Object.defineProperty(headers, name, {
    configurable: true,
    enumerable: false,
    get(): never {
      throw error;
    },
  });
}

/** Headers of a connection whose handshake was not seen: every read refuses with a message that says how to fix it. */
function refusingHeaders(): IncomingHttpHeaders {
  return new Proxy<IncomingHttpHeaders>(
    {},
    {
      get(): never {
        throw new CredentialsMissingError(
          'The WebSocket handshake of this connection was not seen, so no credential can be read from it: nestjs-warden records it ' +
            "on the app's HTTP server and on the ws adapter's own servers; for a gateway on its own port without a path, call " +
            'keepWsHandshake(client, request) in its handleConnection(client, request)',
        );
      },
    },
  );
}
