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
 * `EventEmitter2` provider is found at start-up among the providers of `EventEmitterModule`
 * (by the module's name, and the instance's `emit` and `onAny` methods). Without it, nothing is subscribed (and the hot path
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

/**
 * The app's `EventEmitter2` instance, if `EventEmitterModule` is imported: the provider of the
 * module named `EventEmitterModule` whose instance has EventEmitter2's `emit` and `onAny`
 * (the `eventemitter2` class is named `EventEmitter` at run time, so its name is no help).
 */
function findEventEmitter(modules: ModulesContainer): EmitterLike | undefined {
  for (const module of modules.values()) {
    if (module.metatype?.name !== 'EventEmitterModule') continue;
    for (const wrapper of module.providers.values()) {
      const instance = wrapper.instance as (Partial<EmitterLike> & { onAny?: unknown }) | null | undefined;
      if (typeof instance?.emit === 'function' && typeof instance.onAny === 'function') return instance as EmitterLike;
    }
  }
  return undefined;
}
