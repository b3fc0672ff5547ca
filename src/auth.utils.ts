import type { EventEmitter } from 'node:events';

/** Whether a function is a class (an injectable to resolve) rather than a plain callback. */
export function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/** Where a decorator was applied, for messages: `Class` for a class, `Class.method` for a method. */
export function declaredOn(target: object, key?: string | symbol): string {
  if (key === undefined) return (target as Function).name;
  return `${(target as { constructor: Function }).constructor.name}.${String(key)}`;
}

/** Whether a value is an event emitter a listener can be put first on and taken off again (an HTTP server). */
export function isEmitter(value: unknown): value is EventEmitter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<EventEmitter>).prependListener === 'function' &&
    typeof (value as Partial<EventEmitter>).removeListener === 'function'
  );
}
