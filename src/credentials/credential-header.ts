import { InvalidRequestError, TokenMalformedError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { rawRequest } from '../context/raw-request.js';

/**
 * Reads one credential header. Node keeps only the first `Authorization` header in
 * `headers`, so a second one would go unseen: the raw headers are checked, and a header
 * sent twice is refused as `invalid_request` (RFC 6750 §3.1).
 */
export function readSingleHeader(request: AuthRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value) || countRawHeader(request, name) > 1) {
    throw new InvalidRequestError(`The ${name} header was sent more than once`);
  }
  return value;
}

function countRawHeader(request: AuthRequest, name: string): number {
  const raw = rawRequest(request).rawHeaders ?? [];
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) count++;
  }
  return count;
}

/**
 * Splits `<scheme> <credential>`. Answers `undefined` when the value uses another scheme
 * (another backend's credential), and throws `token_malformed` when it claims this scheme
 * but is not exactly one scheme, one space and one credential.
 */
export function readScheme(value: string, scheme: string): string | undefined {
  const space = value.indexOf(' ');
  const given = space === -1 ? value : value.slice(0, space);
  const lower = scheme.toLowerCase();
  if (given.length !== scheme.length || given.toLowerCase() !== lower) {
    if (value.slice(0, scheme.length).toLowerCase() === lower) {
      throw new TokenMalformedError(`The ${scheme} credential must follow the scheme after one space`);
    }
    return undefined;
  }
  const credential = value.slice(space + 1);
  if (space === -1 || credential.length === 0 || /\s/.test(credential)) {
    throw new TokenMalformedError(`The ${scheme} credential must follow the scheme after one space`);
  }
  return credential;
}
