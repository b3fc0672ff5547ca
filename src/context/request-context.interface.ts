/**
 * What the global guard stores on `request.context` once a request is authenticated,
 * read from the credential alone (no database access).
 */
export interface RequestContext {
  /** The authenticated principal (`sub` of a JWT, an API key's name, a session's user id), or `null`. */
  userId: string | null;
  isStaff: boolean;
  isSuperuser: boolean;
  /** Which backend authenticated the request: `'jwt'`, `'api_key'`, `'session'`, a custom name, or `null`. */
  authBackend: 'jwt' | 'api_key' | 'session' | (string & {}) | null;
  permissions: string[];
  /** Every claim of the credential (all JWT claims; what other backends provide). */
  claims: Record<string, unknown>;
}

/** What a backend returns when it authenticates a request; the guard fills in the rest. */
export interface AuthResult {
  userId: string | null;
  isStaff?: boolean;
  isSuperuser?: boolean;
  permissions?: string[];
  claims?: Record<string, unknown>;
  /**
   * The user, when the backend already has it (a passport strategy, a session that had to
   * check it): `request.user` then resolves to it without calling `userLoader`.
   */
  user?: unknown;
}

/**
 * The user given to `TokenService` and built from claims when no `userLoader` is
 * configured. `id` becomes the token's `sub` (always a string).
 */
export interface AuthUser {
  id: string | number;
  username?: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  permissions?: string[];
}
