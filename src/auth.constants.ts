/** Metadata key written by `@Public()` and `@Auth()`: the nearest declaration wins. */
export const AUTH_METADATA = 'warden:auth';
/** Metadata key written by `@Permissions()`. */
export const PERMISSIONS_METADATA = 'warden:permissions';
/** The realm announced in `WWW-Authenticate`. */
export const DEFAULT_REALM = 'api';
/** Metadata key written by `@Roles()`. */
export const ROLES_METADATA = 'warden:roles';
/** Metadata key written by `@Scopes()`. */
export const SCOPES_METADATA = 'warden:scopes';
