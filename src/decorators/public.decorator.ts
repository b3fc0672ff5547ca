import { SetMetadata } from '@nestjs/common';
import { AUTH_METADATA } from '../auth.constants.js';
import type { AuthMetadata } from './auth.decorator.js';

/**
 * Marks a handler or a controller as public: no backend runs and no guard applies.
 * A nearer `@Auth()` cancels it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata<string, AuthMetadata>(AUTH_METADATA, { public: true });
