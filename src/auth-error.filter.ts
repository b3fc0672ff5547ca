import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { AuthConfig } from './auth.config.js';
import { AuthError, InsufficientUserAuthenticationError } from './auth.errors.js';
import type { LoginRedirectOptions } from './auth.options.js';
import { observeRefusal } from './events/request-observer.js';
import { graphqlReply } from './contexts/graphql.context.js';
import { rpcReply } from './contexts/rpc.context.js';
import { wsReply } from './contexts/ws.context.js';

/**
 * Turns every `AuthError` into the documented response in one place: the JSON body with
 * `code`, and `WWW-Authenticate` (RFC 6750 §3) on 401 and 400 answers. A microservice
 * caller receives the same body as its error, a WebSocket client as an `exception` event.
 * With `loginRedirect`, a browser's 401 is a redirect to the login page instead.
 */
@Catch(AuthError)
export class AuthErrorFilter implements ExceptionFilter<AuthError> {
  /** `loginRedirect`, checked once: a bad one stops the app at start-up. */
  private readonly loginRedirect: LoginRedirect | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AuthConfig,
  ) {
    // `options` may be absent on a hand-built config (unit tests): no redirect then.
    const options = (config.options as Partial<AuthConfig['options']> | undefined)?.loginRedirect;
    this.loginRedirect = options === undefined ? undefined : new LoginRedirect(options);
  }

  catch(error: AuthError, host: ArgumentsHost): void | Observable<never> {
    observeRefusal(this.config.events, error, host);
    const type = host.getType<string>();
    // Outside HTTP, each context answers the way its callers read errors (see src/contexts/).
    if (type === 'rpc') return rpcReply(error, host);
    if (type === 'ws') return wsReply(error, host);
    if (type === 'graphql') return graphqlReply(error, host);
    if (type !== 'http') throw error;
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    const status = error.getStatus();
    if (status === 401 && this.loginRedirect !== undefined) {
      // The same URL answers a browser and an API client differently: caches must keep both.
      adapter.setHeader(response, 'Vary', varyWith(response, 'Accept'));
      const request = host.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
      if (prefersHtml(request.headers.accept)) {
        adapter.setHeader(response, 'Cache-Control', 'no-store');
        adapter.redirect(response, 303, this.loginRedirect.location(String(adapter.getRequestUrl(request))));
        return;
      }
    }
    const challenge = challengeFor(error, this.config.realm);
    if (challenge !== undefined) adapter.setHeader(response, 'WWW-Authenticate', challenge);
    adapter.reply(response, error.toJSON(), status);
  }
}

/**
 * The response's `Vary` with `field` added, keeping what is there (a CORS `Vary: Origin`, a
 * compression `Accept-Encoding`): read from the response itself (Express's `ServerResponse`,
 * Fastify's `Reply`, both have `getHeader`). `*` already varies on everything.
 */
function varyWith(response: unknown, field: string): string {
  const current: unknown = (response as { getHeader?: (name: string) => unknown }).getHeader?.('Vary');
  const values: unknown[] = Array.isArray(current) ? current : current === undefined || current === null ? [] : [current];
  const fields = values.flatMap((value) =>
    String(value)
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  const lower = field.toLowerCase();
  return fields.some((name) => name === '*' || name.toLowerCase() === lower) ? fields.join(', ') : [...fields, field].join(', ');
}

/** The RFC 6750 challenge for an error, or `undefined` when none belongs on it. */
export function challengeFor(error: AuthError, realm: string): string | undefined {
  const status = error.getStatus();
  if (status !== 401 && status !== 400) return undefined;
  let challenge = `Bearer realm="${quote(realm)}"`;
  if (status === 400) challenge += ', error="invalid_request"';
  else if (error instanceof InsufficientUserAuthenticationError) challenge += stepUpParameters(error);
  else if (error.invalidToken) challenge += `, error="invalid_token", error_description="${quote(error.message)}"`;
  return challenge;
}

/** RFC 9470 §3: the step-up error, and the `max_age` or `acr_values` that would satisfy the route. */
function stepUpParameters(error: InsufficientUserAuthenticationError): string {
  const { maxAge, acrValues } = error.stepUp;
  let parameters = `, error="insufficient_user_authentication", error_description="${quote(error.message)}"`;
  if (maxAge !== undefined) parameters += `, max_age=${Math.max(0, Math.floor(maxAge))}`;
  if (acrValues !== undefined && acrValues.length > 0) parameters += `, acr_values="${quote(acrValues.join(' '))}"`;
  return parameters;
}

/** RFC 6750 §3: error_description is limited to printable ASCII without `"` and `\`. */
function quote(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/** A return path longer than this is dropped for `/` (a login URL is no place for a 16 KiB query). */
const MAX_RETURN_PATH = 2048;

/** `loginRedirect`, validated: where a browser that must log in is sent. */
class LoginRedirect {
  private readonly url: string;
  private readonly param: string;

  constructor(options: LoginRedirectOptions) {
    const fix = "e.g. loginRedirect: { url: '/login', param: 'next' }";
    if (typeof options !== 'object' || options === null) throw new TypeError(`AuthModule: \`loginRedirect\` must be an object, ${fix}`);
    const { url, param = 'next' } = options;
    if (typeof url !== 'string' || !(isLocalPath(url) || /^https:\/\/[^/?#\\\s]+(?:[/?][^#\s]*)?$/.test(url)) || /[\s#]/.test(url)) {
      throw new TypeError(
        `AuthModule: \`loginRedirect.url\` must be a path on this site (starting with one '/') or an absolute https: URL, without a fragment, ${fix}`,
      );
    }
    if (typeof param !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(param)) {
      throw new TypeError(`AuthModule: \`loginRedirect.param\` must be a query parameter name (letters, digits, '_', '-', '.'), ${fix}`);
    }
    this.url = url;
    this.param = param;
  }

  /** The login URL carrying the request's path and query (encoded) as where to come back. */
  location(requestUrl: string): string {
    const separator = this.url.includes('?') ? '&' : '?';
    return `${this.url}${separator}${this.param}=${encodeURIComponent(returnPath(requestUrl))}`;
  }
}

/** A path on this site: one `/`, then not a second `/` or `\` (`//host` and `/\host` are other sites to a browser). */
function isLocalPath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\');
}

/**
 * Where to come back: the path and query of the request target, and nothing else. An
 * absolute-form target (`GET http://evil.example/x`), a `//host` path or a `/\host` one loses
 * its host; what the URL parser cannot read, or a path too long, comes back as `/`.
 */
function returnPath(target: string): string {
  let url: URL;
  try {
    url = new URL(target, 'http://localhost');
  } catch {
    return '/';
  }
  const path = `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`;
  return path.length > MAX_RETURN_PATH ? '/' : path;
}

/**
 * Whether a request's `Accept` prefers an HTML page to JSON: `text/html` or
 * `application/xhtml+xml` listed explicitly with a quality above 0 and above that of any
 * JSON type. A wildcard counts for neither: `fetch()`'s default `*\/*` and an absent header
 * keep the JSON answer, a browser's navigation (`text/html,…,*\/*;q=0.8`) gets the page.
 */
export function prefersHtml(accept: string | string[] | undefined): boolean {
  if (typeof accept !== 'string') return false;
  let html = 0;
  let json = 0;
  for (const range of accept.slice(0, 1024).split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    let quality = 1;
    for (const parameter of parameters) {
      if (parameter.startsWith('q=')) quality = Number(parameter.slice(2));
    }
    if (!Number.isFinite(quality) || quality < 0 || quality > 1) quality = 0;
    if (type === 'text/html' || type === 'application/xhtml+xml') html = Math.max(html, quality);
    else if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) json = Math.max(json, quality);
  }
  return html > 0 && html > json;
}
