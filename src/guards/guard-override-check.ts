import { WardenGuard } from './warden.guard.js';

/** The token of the provider that runs {@link assertWardenGuard} (it injects the global guard). */
export const GUARD_OVERRIDE_CHECK = Symbol('warden:guard-override-check');

/**
 * `AuthModule` installs its global guard as the `WardenGuard` provider (the `APP_GUARD` is an
 * alias of it), so a test's `overrideProvider(WardenGuard)` reaches it (Nest's `overrideGuard()`
 * only reaches guards bound with `@UseGuards()`, never a global one). Replaced by anything but a
 * `WardenGuard` (a `{ canActivate: () => true }` mock), the backends, `request.context`,
 * `@Permissions()`, `@Roles()` and `@Scopes()` would silently stop applying and the test would
 * prove nothing: the app refuses to start with the helper to use instead.
 */
export function assertWardenGuard(guard: unknown): true {
  if (guard instanceof WardenGuard) return true;
  throw new TypeError(
    'AuthModule: the global guard WardenGuard was replaced (overrideProvider) by something that is not a WardenGuard, ' +
      'so the backends, request.context, @Permissions(), @Roles() and @Scopes() would silently stop applying. ' +
      'To authenticate requests as a test user, use overrideAuthentication(builder, { user }) of nestjs-warden/testing; ' +
      'to change one step of the guard, override it with a subclass: overrideProvider(WardenGuard).useClass(class extends WardenGuard {…}).',
  );
}
