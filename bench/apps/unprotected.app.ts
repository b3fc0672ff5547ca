import { Module, type Type } from '@nestjs/common';
import { HelloController } from './hello.controller.js';

/** The ceiling: the same route in a NestJS app with no authentication at all. */
export function createModule(): Type {
  @Module({ controllers: [HelloController] })
  class UnprotectedModule {}
  return UnprotectedModule;
}
