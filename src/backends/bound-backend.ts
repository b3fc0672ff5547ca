import type { AuthenticationBackend } from './authentication-backend.interface.js';

/**
 * A backend bound to one app, for a built-in backend's `setup` to return: a new object that
 * inherits everything from `backend` (its class and a subclass's overrides, its configuration,
 * its verified-token cache) and holds `binding` (this app's store, loader, CSRF key, validator)
 * as its own fields. `backend` itself is never changed, so one backend object serves any
 * number of apps in one process, each with its own binding.
 */
export function bindBackend<T extends AuthenticationBackend>(backend: T, binding: object): T {
  return Object.assign(Object.create(backend) as T, binding);
}
