import type { AuthenticationBackend } from './authentication-backend.interface.js';

/**
 * A backend's `name` option, checked at construction: a non-empty string without spaces or
 * quotes (it becomes `request.context.authBackend` and an OpenAPI security scheme key), or
 * `fallback` when not given.
 */
export function backendName(name: unknown, fallback: string, what: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) {
    throw new TypeError(
      `${what}: \`name\` must be 1 to 64 letters, digits, '_', '-', '.' or ':' (it becomes context.authBackend), e.g. 'keycloak'`,
    );
  }
  return name;
}

/**
 * Refuses a backend list where two backends share a name: `request.context.authBackend` and the
 * OpenAPI scheme would not tell them apart (two `JwtAuthentication`s, one per issuer, need a
 * `name` each).
 */
export function assertUniqueNames(backends: readonly AuthenticationBackend[], where: string): void {
  const seen = new Set<string>();
  for (const backend of backends) {
    if (seen.has(backend.name)) {
      throw new TypeError(
        `${where}: two backends are named "${backend.name}": give each a distinct \`name\` option ` +
          `(e.g. new JwtAuthentication({ name: 'keycloak', issuer, ... })), it becomes context.authBackend and the OpenAPI scheme`,
      );
    }
    seen.add(backend.name);
  }
}
