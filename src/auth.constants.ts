/** Metadata key written by `@Public()` and `@Auth()`: the nearest declaration wins. */
export const AUTH_METADATA = 'warden:auth';
/** Metadata key written by `@Permissions()`. */
export const PERMISSIONS_METADATA = 'warden:permissions';
/** The realm announced in `WWW-Authenticate`. */
export const DEFAULT_REALM = 'api';
