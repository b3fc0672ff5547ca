import type { TokenOptions } from '../auth.options.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { resolveCookieSettings, type CookieSettings } from './cookie-settings.js';
import { csrfTokenDeriver } from './csrf-check.js';

/**
 * How credentials travel in one app, resolved once at start-up from `tokens`: the cookie
 * names and attributes (defaults applied), and the derivation of a JWT login's CSRF token
 * (`undefined` without `tokens`: there is no key).
 */
export class CredentialSettings {
  /** Cookie names and attributes, defaults applied. */
  readonly cookies: CookieSettings;
  /** The CSRF token of a JWT login family; `undefined` without `tokens`. */
  readonly csrfTokenFor: ((family: string) => string) | undefined;

  /** `websocket.allowedOrigins`, normalised: origins whose WebSocket handshakes may authenticate with a cookie. */
  readonly webSocketOrigins: ReadonlySet<string>;

  constructor(tokens: TokenOptions | undefined, webSocketOrigins: ReadonlySet<string> = new Set()) {
    this.webSocketOrigins = webSocketOrigins;
    this.cookies = resolveCookieSettings(tokens?.cookies);
    this.csrfTokenFor = csrfTokenDeriver(tokens);
  }
}

/**
 * Where the global guard leaves the app's settings on each request. `loginSession` and
 * `logoutSession` are free functions, called with nothing but the request, and must write
 * the CSRF cookie with this app's names and attributes (two apps in one process may differ,
 * so there is no global to read them from). A symbol, so it never shows in the request's
 * own fields or collides with them.
 */
const SETTINGS = Symbol('warden:credential-settings');

type WithSettings = AuthRequest & { [SETTINGS]?: CredentialSettings };

/**
 * Leaves the app's settings on a request (the global guard does it on every HTTP route,
 * `@Public()` ones included, before anything else).
 */
export function attachCredentialSettings(request: AuthRequest, settings: CredentialSettings): void {
  (request as WithSettings)[SETTINGS] = settings;
}

/** The settings the global guard left on a request; a `TypeError` saying why when there are none. */
export function credentialSettingsOf(request: AuthRequest, caller: string): CredentialSettings {
  const settings = (request as WithSettings)[SETTINGS];
  if (settings === undefined) {
    throw new TypeError(
      `${caller}: this request did not pass AuthModule's global guard, which hands it the app's cookie settings. ` +
        'Call it from a controller route of an app that imports AuthModule.forRoot() (a @Public() route is fine).',
    );
  }
  return settings;
}
