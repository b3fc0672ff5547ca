/**
 * Freezes a claims set and everything in it. A verified payload is shared by every request
 * that presents the same token (the verified-token cache): a handler that writes into
 * `context.claims` must fail where it writes, not change what the next request is allowed.
 * Claims come from `JSON.parse`, so they hold only plain objects and arrays (no cycles).
 */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    // for…in, not Object.values: no array per object. JSON objects inherit no enumerable keys.
    for (const key in value) {
      const item: unknown = value[key];
      if (typeof item === 'object' && item !== null) deepFreeze(item);
    }
  }
  return value;
}
