import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { AuthConfig } from '../auth.config.js';
import type { AuthEvent } from './auth-event.interface.js';

/** What this bridge needs of `@nestjs/event-emitter`'s `EventEmitter2`. */
interface EmitterLike {
  emit(event: string, payload: AuthEvent): unknown;
}

/**
 * When the app has `@nestjs/event-emitter` (`EventEmitterModule.forRoot()`), every auth event is
 * also emitted there as `warden.<type>` (`warden.login`, `warden.refresh.reused`, …), so
 * `@OnEvent('warden.login')` handlers receive it. The package is never imported: its
 * `EventEmitter2` provider is found at start-up among the app's providers, by its class name,
 * and used only if it has an `emit` method. Without it, nothing is subscribed (and the hot path
 * stays allocation-free).
 */
@Injectable()
export class EventEmitterBridge implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly config: AuthConfig,
    private readonly modules: ModulesContainer,
  ) {}

  onApplicationBootstrap(): void {
    const emitter = findEventEmitter(this.modules);
    if (emitter === undefined || this.unsubscribe !== undefined) return;
    this.unsubscribe = this.config.events.subscribe((event) => {
      emitter.emit(`warden.${event.type}`, event);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** The app's `EventEmitter2` instance, if `EventEmitterModule` is imported. */
function findEventEmitter(modules: ModulesContainer): EmitterLike | undefined {
  for (const module of modules.values()) {
    for (const [token, wrapper] of module.providers) {
      if (typeof token !== 'function' || token.name !== 'EventEmitter2') continue;
      const instance = wrapper.instance as Partial<EmitterLike> | null | undefined;
      if (typeof instance?.emit === 'function') return instance as EmitterLike;
    }
  }
  return undefined;
}
