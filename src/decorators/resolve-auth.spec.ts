import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { AuthenticationBackend } from '../backends/authentication-backend.interface.js';
import { AllowAny, IsAdmin, IsStaff } from '../guards/permission.guards.js';
import { Auth } from './auth.decorator.js';
import { Permissions } from './permissions.decorator.js';
import { Public } from './public.decorator.js';
import { resolveAuth, type ResolvedAuth } from './resolve-auth.js';

const backend = (name: string): AuthenticationBackend => ({ name, authenticate: () => null });
const classBackend = backend('class');
const methodBackend = backend('method');
const classGuard = IsStaff();
const methodGuard = IsAdmin();

/** What one level declares: nothing, `@Public()`, or `@Auth()` with backends (b) and/or guards (g). */
type Level = '-' | 'Public' | 'Auth' | 'Auth(b)' | 'Auth(g)' | 'Auth(b,g)';
type Decorator = MethodDecorator & ClassDecorator;

function decoratorFor(level: Level, at: 'class' | 'method'): Decorator | undefined {
  const authentication = [at === 'class' ? classBackend : methodBackend];
  const guards = [at === 'class' ? classGuard : methodGuard];
  switch (level) {
    case '-':
      return undefined;
    case 'Public':
      return Public();
    case 'Auth':
      return Auth();
    case 'Auth(b)':
      return Auth({ authentication });
    case 'Auth(g)':
      return Auth({ guards });
    case 'Auth(b,g)':
      return Auth({ authentication, guards });
  }
}

type Permissions = 'none' | 'class' | 'method' | 'both';

/** A controller with one handler, decorated as a user would (class decorators, then method decorators). */
function controllerWith(onClass: Level, onMethod: Level, permissions: Permissions = 'none'): { controller: Function; handler: Function } {
  class TestController {
    handler(): void {}
  }
  const descriptor = Object.getOwnPropertyDescriptor(TestController.prototype, 'handler')!;
  const onMethodDecorators = [
    decoratorFor(onMethod, 'method'),
    permissions === 'method' || permissions === 'both' ? Permissions('m:perm') : undefined,
  ];
  const onClassDecorators = [
    decoratorFor(onClass, 'class'),
    permissions === 'class' || permissions === 'both' ? Permissions('c:perm') : undefined,
  ];
  for (const decorator of onMethodDecorators) decorator?.(TestController.prototype, 'handler', descriptor);
  for (const decorator of onClassDecorators) decorator?.(TestController);
  return { controller: TestController, handler: descriptor.value as Function };
}

/** `public`, or `<backends>/<guards>` where each is where it came from: module (left to the module), class or method. */
function describeResolved(resolved: ResolvedAuth): string {
  if (resolved.public) return 'public';
  const origin = (value: unknown, fromClass: unknown, fromMethod: unknown): string => {
    if (value === undefined) return 'module';
    if (Array.isArray(value) && value.length === 1 && value[0] === fromClass) return 'class';
    if (Array.isArray(value) && value.length === 1 && value[0] === fromMethod) return 'method';
    return `unexpected ${JSON.stringify(value)}`;
  };
  return `${origin(resolved.authentication, classBackend, methodBackend)}/${origin(resolved.guards, classGuard, methodGuard)}`;
}

const reflector = new Reflector();
const resolve = (controller: Function, handler: Function): string => describeResolved(resolveAuth(reflector, handler, controller));

// Every combination of the two levels. API.md "Decorators": method over class over module, each
// field on its own; a nearer @Auth() cancels a farther @Public() entirely, and each field it
// leaves unset comes from the next level that sets it, skipping the @Public().
const table: Array<[onClass: Level, onMethod: Level, expected: string]> = [
  ['-', '-', 'module/module'],
  ['Public', '-', 'public'],
  ['Auth', '-', 'module/module'],
  ['Auth(b)', '-', 'class/module'],
  ['Auth(g)', '-', 'module/class'],
  ['Auth(b,g)', '-', 'class/class'],

  ['-', 'Public', 'public'],
  ['Public', 'Public', 'public'],
  ['Auth', 'Public', 'public'],
  ['Auth(b)', 'Public', 'public'],
  ['Auth(g)', 'Public', 'public'],
  ['Auth(b,g)', 'Public', 'public'],

  ['-', 'Auth', 'module/module'],
  ['Public', 'Auth', 'module/module'],
  ['Auth', 'Auth', 'module/module'],
  ['Auth(b)', 'Auth', 'class/module'],
  ['Auth(g)', 'Auth', 'module/class'],
  ['Auth(b,g)', 'Auth', 'class/class'],

  ['-', 'Auth(b)', 'method/module'],
  ['Public', 'Auth(b)', 'method/module'],
  ['Auth', 'Auth(b)', 'method/module'],
  ['Auth(b)', 'Auth(b)', 'method/module'],
  ['Auth(g)', 'Auth(b)', 'method/class'],
  ['Auth(b,g)', 'Auth(b)', 'method/class'],

  ['-', 'Auth(g)', 'module/method'],
  ['Public', 'Auth(g)', 'module/method'],
  ['Auth', 'Auth(g)', 'module/method'],
  ['Auth(b)', 'Auth(g)', 'class/method'],
  ['Auth(g)', 'Auth(g)', 'module/method'],
  ['Auth(b,g)', 'Auth(g)', 'class/method'],

  ['-', 'Auth(b,g)', 'method/method'],
  ['Public', 'Auth(b,g)', 'method/method'],
  ['Auth', 'Auth(b,g)', 'method/method'],
  ['Auth(b)', 'Auth(b,g)', 'method/method'],
  ['Auth(g)', 'Auth(b,g)', 'method/method'],
  ['Auth(b,g)', 'Auth(b,g)', 'method/method'],
];

describe('resolveAuth: @Public() / @Auth() at class and method level', () => {
  it('the table covers every pair of levels once', () => {
    expect(new Set(table.map(([onClass, onMethod]) => `${onClass}|${onMethod}`)).size).toBe(36);
  });

  it.each(table)('class %s, method %s → %s', (onClass, onMethod, expected) => {
    const { controller, handler } = controllerWith(onClass, onMethod);
    expect(resolve(controller, handler)).toBe(expected);
  });

  it.each(table)(
    'class %s, method %s: @Permissions() at any level applies when not public, is refused when public (→ %s)',
    (onClass, onMethod, expected) => {
      for (const permissions of ['class', 'method', 'both'] as const) {
        const { controller, handler } = controllerWith(onClass, onMethod, permissions);
        if (expected === 'public') {
          // API.md "Module": @Permissions() on or under a @Public() (either level) refuses to start.
          expect(() => resolve(controller, handler), `@Permissions on ${permissions}`).toThrow(TypeError);
          expect(() => resolve(controller, handler), `@Permissions on ${permissions}`).toThrow(
            /^TestController\.handler is public \(@Public\(\) on the (class|method)\) but has @Permissions\(/,
          );
        } else {
          expect(resolve(controller, handler), `@Permissions on ${permissions}`).toBe(expected);
        }
      }
    },
  );

  it('the resolution is per handler: a @Public() method leaves its siblings protected', () => {
    @Controller()
    class Mixed {
      @Public() @Get('open') open(): void {}
      @Get('closed') closed(): void {}
    }
    expect(resolve(Mixed, Mixed.prototype.open)).toBe('public');
    expect(resolve(Mixed, Mixed.prototype.closed)).toBe('module/module');
  });

  it('the same handler reached through another controller class is resolved against that class', () => {
    // A handler function shared by two controllers (inheritance): class metadata is read from the
    // controller that routes it, not from where the function was written.
    @Public()
    @Controller('open')
    class OpenBase {
      @Get() list(): void {}
    }
    @Auth({ authentication: [classBackend] })
    @Controller('closed')
    class ClosedChild extends OpenBase {}
    expect(resolve(OpenBase, OpenBase.prototype.list)).toBe('public');
    expect(resolve(ClosedChild, ClosedChild.prototype.list)).toBe('class/module');
  });

  it('a subclass without decorators inherits its parent class @Public()', () => {
    @Public()
    @Controller()
    class Parent {
      @Get() list(): void {}
    }
    @Controller('child')
    class Child extends Parent {}
    expect(resolve(Child, Child.prototype.list)).toBe('public');
  });

  it('an overriding method does not inherit the overridden method’s decorators', () => {
    // Method metadata sits on the function: the override is a new function. Noted because it
    // loosens as well as tightens: an override of an @Auth({ guards: [IsAdmin()] }) method
    // without its own decorator runs the module's guards.
    @Controller()
    class Parent {
      @Public() @Get('a') open(): void {}
      @Auth({ guards: [methodGuard] }) @Get('b') admin(): void {}
    }
    @Controller('child')
    class Child extends Parent {
      override open(): void {}
      override admin(): void {}
    }
    expect(resolve(Child, Child.prototype.open)).toBe('module/module');
    expect(resolve(Child, Child.prototype.admin)).toBe('module/module');
    expect(resolve(Parent, Parent.prototype.admin)).toBe('module/method');
  });

  it('keeps the lists as given (same instances, same order)', () => {
    const first = backend('first');
    const second = backend('second');
    const guards = [AllowAny(), methodGuard];
    @Controller()
    class Ordered {
      @Auth({ authentication: [first, second], guards }) @Get() handler(): void {}
    }
    const resolved = resolveAuth(reflector, Ordered.prototype.handler, Ordered);
    expect(resolved).toEqual({ public: false, authentication: [first, second], guards });
    if (resolved.public) throw new Error('unreachable');
    expect(resolved.authentication![0]).toBe(first);
    expect(resolved.guards).toBe(guards);
  });
});

describe('resolveAuth: conflicting decorators are refused (API.md "Module", issue 16)', () => {
  it.each([
    ['Public', '-', 'class', 'the class', "@Permissions('c:perm') on the class"],
    ['Public', '-', 'method', 'the class', "@Permissions('m:perm') on the method"],
    ['-', 'Public', 'method', 'the method', "@Permissions('m:perm') on the method"],
    ['-', 'Public', 'class', 'the method', "@Permissions('c:perm') on the class"],
    ['Auth(g)', 'Public', 'both', 'the method', "@Permissions('m:perm') on the method and @Permissions('c:perm') on the class"],
  ] as const)(
    'class %s, method %s, @Permissions on %s: a TypeError naming the class, the handler and both decorators',
    (onClass, onMethod, permissions, publicAt, declared) => {
      const { controller, handler } = controllerWith(onClass, onMethod, permissions);
      expect(() => resolve(controller, handler)).toThrow(
        new TypeError(
          `TestController.handler is public (@Public() on ${publicAt}) but has ${declared}: a public handler runs no guard, ` +
            'so the permissions would never be checked. Remove @Public() to require them, or remove @Permissions() if the handler ' +
            'is meant to be open (a method @Auth() under a class @Public() makes that method non-public).',
        ),
      );
    },
  );

  it('a class @Public() with a method @Auth({ guards }) and @Permissions() is no conflict: the method is not public', () => {
    const { controller, handler } = controllerWith('Public', 'Auth(g)', 'method');
    expect(resolve(controller, handler)).toBe('module/method');
  });

  it('one public sibling with @Permissions() refuses; the protected sibling next to it resolves as before', () => {
    @Controller()
    class Mixed {
      @Permissions('x') @Public() @Get('open') open(): void {}
      @Permissions('x') @Get('closed') closed(): void {}
    }
    expect(() => resolve(Mixed, Mixed.prototype.open)).toThrow(
      /^Mixed\.open is public \(@Public\(\) on the method\) but has @Permissions\('x'\) on the method/,
    );
    expect(resolve(Mixed, Mixed.prototype.closed)).toBe('module/module');
  });

  it('@Auth({ guards: [] }) is refused where it is applied, naming the handler and the fix', () => {
    // API.md "Module": an empty guard list (`guards: []`, write `[AllowAny()]`) fails at start-up.
    const apply = (): void => {
      @Controller()
      class Empty {
        @Auth({ guards: [] }) @Get() handler(): void {}
      }
      void Empty;
    };
    expect(apply).toThrow(TypeError);
    expect(apply).toThrow(
      '@Auth() on Empty.handler: `guards: []` would let anyone in, anonymous callers too; to allow every caller on purpose write `guards: [AllowAny()]`',
    );
    const applyOnClass = (): void => {
      @Auth({ guards: [] })
      @Controller()
      class EmptyClass {}
      void EmptyClass;
    };
    expect(applyOnClass).toThrow('@Auth() on EmptyClass: `guards: []` would let anyone in');
  });
});

describe('@Auth() and @Permissions() refuse what would silently widen access, at declaration', () => {
  /** Applies the decorator to a method of a class named Declared, as a user's code does. */
  const onMethod = (decorator: MethodDecorator) => (): void => {
    class Declared {
      handler(): void {}
    }
    decorator(Declared.prototype, 'handler', Object.getOwnPropertyDescriptor(Declared.prototype, 'handler')!);
  };
  it.each([
    ['@Auth({ authentication: [] })', onMethod(Auth({ authentication: [] })), /^@Auth\(\) on Declared\.handler needs at least one backend/],
    [
      '@Auth({ guards: [IsAdmin] }) (factory not called)',
      onMethod(Auth({ guards: [IsAdmin as never] })),
      /^@Auth\(\) on Declared\.handler: guards\[0\] .*call the factory, IsAdmin\(\)/,
    ],
    ['@Auth({ guards: {} })', onMethod(Auth({ guards: {} as never })), /^@Auth\(\) on Declared\.handler: `guards` must be an array/],
    ['@Auth({ guards: [] })', onMethod(Auth({ guards: [] })), /write `guards: \[AllowAny\(\)\]`/],
    ['@Permissions()', () => Permissions(), /at least one permission/],
    ["@Permissions('')", () => Permissions(''), /at least one permission/],
    ["@Permissions('a', 1)", () => Permissions('a', 1 as never), /at least one permission/],
  ])('%s throws a TypeError', (_, declare, message) => {
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(message);
  });
});
