import { isClass } from '../auth.utils.js';
import type { Guard } from './guard.interface.js';

/**
 * Checks a list of guards given to `AuthModule` or `@Auth()` at start-up. The usual
 * mistakes are a factory passed uncalled (`[IsAdmin]` for `[IsAdmin()]`): the message names
 * it and says to call it, instead of a 500 at the first request; and an empty list, which
 * would run no guard at all (an open route must say so: `[AllowAny()]`).
 *
 * @param where who was given the list, for the message (`AuthModule`, `@Auth()`).
 */
export function assertGuards(guards: unknown, where: string): asserts guards is Guard[] {
  if (!Array.isArray(guards)) throw new TypeError(`${where}: \`guards\` must be an array of guards, e.g. [IsAuthenticated()]`);
  // An empty list reads like "no restriction added" but runs no guard at all: anonymous callers get in.
  if (guards.length === 0) {
    throw new TypeError(
      `${where}: \`guards: []\` would let anyone in, anonymous callers too; to allow every caller on purpose write \`guards: [AllowAny()]\``,
    );
  }
  guards.forEach((guard: unknown, index) => {
    if (typeof guard === 'object' && guard !== null && typeof (guard as Partial<Guard>).canActivate === 'function') return;
    throw new TypeError(`${where}: guards[${index}] ${mistake(guard)}`);
  });
}

/** What is wrong with a value that should have been a guard instance, and the fix. */
function mistake(value: unknown): string {
  if (typeof value !== 'function') return 'is not a guard (an object with canActivate(context)); use a factory such as IsAuthenticated()';
  const name = value.name === '' ? 'this function' : value.name;
  if (isClass(value)) return `is the class ${name}, not a guard: pass an instance, new ${name}()`;
  return `is the guard factory ${name}, not a guard: call the factory, ${name}()`;
}
