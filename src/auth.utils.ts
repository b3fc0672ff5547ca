/** Whether a function is a class (an injectable to resolve) rather than a plain callback. */
export function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}
