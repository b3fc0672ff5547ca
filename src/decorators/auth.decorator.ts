import { SetMetadata } from '@nestjs/common';
import { AUTH_METADATA } from '../auth.constants.js';
import type { AuthenticationBackendRef } from '../auth.options.js';
import type { Guard } from '../guards/guard.interface.js';
import { assertGuards } from '../guards/guard-check.js';
import { declaredOn } from '../auth.utils.js';

/** Options of {@link Auth}; each field replaces the farther level's on its own. */
export interface AuthOptions {
  /** The backends to try, in order, for this controller or handler. */
  authentication?: AuthenticationBackendRef[];
  /** The guards to run after authentication. */
  guards?: Guard[];
}

/** What `@Public()` and `@Auth()` store under the one key, so the nearest declaration wins. */
export type AuthMetadata = { public: true } | ({ public?: false } & AuthOptions);

/**
 * Replaces the backends and/or the guards for a controller or a handler. Method wins over
 * class, class over the module's defaults; a field left unset comes from the next level
 * that sets it. A nearer `@Auth()` cancels a farther `@Public()`.
 *
 * @example
 * ```ts
 * @Auth({ guards: [IsAdmin()] })
 * @Delete(':id')
 * remove() {}
 * ```
 */
export const Auth = (options: AuthOptions = {}): MethodDecorator & ClassDecorator => {
  const metadata = SetMetadata<string, AuthMetadata>(AUTH_METADATA, { public: false, ...options });
  // Checked where it is applied, so the message names the class and the handler.
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    assertAuthOptions(options, `@Auth() on ${declaredOn(target, key)}`);
    if (descriptor === undefined) metadata(target as Function);
    else metadata(target, key!, descriptor);
  };
};

function assertAuthOptions(options: AuthOptions, where: string): void {
  if (options.authentication !== undefined && (!Array.isArray(options.authentication) || options.authentication.length === 0)) {
    throw new TypeError(`${where} needs at least one backend in \`authentication\`; use @Public() for a route without authentication`);
  }
  if (options.guards !== undefined) assertGuards(options.guards, where);
}
