import { InvalidRequestError, TokenMalformedError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';

/**
 * Reads one cookie of a request, on either adapter, whether or not `cookie-parser` or
 * `@fastify/cookie` is registered: the `Cookie` header is the source, since parsers keep
 * only the first of two same-named cookies and may turn a value into an object
 * (cookie-parser's `j:{…}` JSON cookies). Answers `undefined` when the cookie is absent.
 *
 * A cookie sent twice is refused with 400 `invalid_request`, like any credential sent twice
 * (RFC 6750 §3.1): a second cookie of the same name is what a sibling subdomain plants
 * (cookie tossing) to slip its own login in front of the user's. A request without a
 * `Cookie` header (a harness that hands parsed cookies only) is read from `request.cookies`,
 * where a value that is not a string is 401 `token_malformed`.
 *
 * Values are decoded as the `cookie` package decodes them (surrounding quotes dropped,
 * percent-decoding when it is valid), so what `serialize` wrote reads back the same.
 */
export function readCookie(request: AuthRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return fromParsed(request, name);
  let found: string | undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    while (start < end && isSpace(header.charCodeAt(start))) start++;
    if (header.startsWith(name, start)) {
      let at = start + name.length;
      while (at < end && isSpace(header.charCodeAt(at))) at++;
      if (header.charCodeAt(at) === EQUALS) {
        if (found !== undefined) throw new InvalidRequestError(`The ${name} cookie was sent more than once`);
        found = decode(header.slice(at + 1, end).trim());
      }
    }
    start = end + 1;
  }
  return found;
}

const EQUALS = 0x3d;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function decode(value: string): string {
  const unquoted = value.length > 1 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!unquoted.includes('%')) return unquoted;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}

function fromParsed(request: AuthRequest, name: string): string | undefined {
  const cookies = request.cookies as Readonly<Record<string, unknown>> | undefined;
  if (cookies === undefined || cookies === null || !Object.hasOwn(cookies, name)) return undefined;
  const value = cookies[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new TokenMalformedError(`The ${name} cookie is not a string`);
}
