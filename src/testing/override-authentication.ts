import type { Type } from '@nestjs/common';
import type { AuthenticationBackend } from '../backends/authentication-backend.interface.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { WardenGuard } from '../guards/warden.guard.js';
import { decodeTestUser, testResult, testUser, type TestUser } from './test-user.js';

/** Options of {@link overrideAuthentication}. */
export interface OverrideAuthenticationOptions {
  /**
   * The user every request is authenticated as when it names none (`authAs(app, user)` names
   * one per request, `authAs(app, null)` makes it anonymous).
   * @default undefined: such a request goes to the app's own backends (so 401 without a credential)
   */
  user?: TestUser | string | number | null;
  /**
   * The backend name the test user is authenticated by (`request.context.authBackend`).
   * @default 'test'
   */
  name?: string;
  /**
   * Whether `request.user` comes from the app's `userLoader` (given the test user's id), as in
   * production, instead of being the test user object itself.
   * @default false
   */
  loadUser?: boolean;
}

/**
 * The `@nestjs/testing` builder, as far as the helper uses it (so this subpath does not import
 * `@nestjs/testing`): `Test.createTestingModule(...)` returns one.
 */
export interface TestingModuleBuilderLike<B> {
  overrideProvider(typeOrToken: unknown): { useClass(type: unknown): B };
}

interface TestAuthentication {
  user: TestUser | null | undefined;
  name: string;
  withUser: boolean;
}

/**
 * The global guard with authentication replaced: a request naming a test user (the
 * `x-warden-test-user` header `authAs` writes) or, without one, the default user is
 * authenticated as that user; every other step (plans, guards, `@Roles()`, `@Permissions()`,
 * the filter, `request.user`) is the app's own. Without a test user, the app's backends run.
 */
export abstract class TestWardenGuard extends WardenGuard {
  protected abstract readonly testAuthentication: TestAuthentication;

  protected override authenticate(
    request: AuthRequest,
    backends: readonly AuthenticationBackend[],
    index: number,
  ): ReturnType<WardenGuard['authenticate']> {
    if (index === 0) {
      const { user: fallback, name, withUser } = this.testAuthentication;
      const named = decodeTestUser(request);
      const user = named === undefined ? fallback : named;
      if (user === null) return null;
      if (user !== undefined) return { result: testResult(user, withUser), backend: name };
    }
    return super.authenticate(request, backends, index);
  }
}

/**
 * Replaces authentication in a `TestingModule`: `overrideGuard(WardenGuard)` with a mock would
 * switch off the backends, `request.context` and every `@Roles()` / `@Permissions()` check
 * (the app refuses to start so); this keeps them and authenticates requests as test users.
 * Returns the builder, for chaining.
 *
 * @example
 * ```ts
 * const moduleRef = await overrideAuthentication(Test.createTestingModule({ imports: [AppModule] }), {
 *   user: { id: 1, roles: ['admin'] },
 * }).compile();
 * ```
 */
export function overrideAuthentication<B extends TestingModuleBuilderLike<B>>(builder: B, options: OverrideAuthenticationOptions = {}): B {
  if (typeof builder?.overrideProvider !== 'function') {
    throw new TypeError('overrideAuthentication() needs the builder of Test.createTestingModule({ ... }), before compile()');
  }
  const where = 'overrideAuthentication';
  const name = options.name ?? 'test';
  if (typeof name !== 'string' || name === '') throw new TypeError(`${where}: \`name\` must be a non-empty string`);
  const testAuthentication: TestAuthentication = {
    user: options.user === undefined || options.user === null ? options.user : testUser(options.user, where),
    name,
    withUser: options.loadUser !== true,
  };
  const guard: Type<WardenGuard> = class extends TestWardenGuard {
    protected readonly testAuthentication = testAuthentication;
  };
  return builder.overrideProvider(WardenGuard).useClass(guard);
}
