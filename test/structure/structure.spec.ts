import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_LINES, lineCount, oversizedFiles, runtimeCodeInInterfaceFiles, runtimeStatements, sourceFiles } from './source-rules.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const files = sourceFiles(`${repo}src`, repo);

describe('house rules over src/ (STYLE.md, issue 13 item 6)', () => {
  it('scans the real source tree, tests excepted', () => {
    expect(files).toContain('src/index.ts');
    expect(files).toContain('src/guards/guard.interface.ts');
    expect(files.length).toBeGreaterThan(30);
    expect(files.filter((file) => /\.(spec|heavy)\.ts$/.test(file))).toEqual([]);
  });

  it(`no source file is over ${MAX_LINES} lines`, () => {
    // The message lists every offender with its count: split the file, do not raise the limit.
    expect(oversizedFiles(repo, files), 'files over the limit').toEqual([]);
  });

  it('*.interface.ts files hold types only (no functions, classes, consts, enums)', () => {
    // A runtime export in an interface file makes every type import of it a module load (and an
    // import cycle candidate): move it to a module of its own.
    expect(runtimeCodeInInterfaceFiles(repo, files), 'runtime code in interface files').toEqual([]);
  });
});

describe('the checks themselves', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
    ['a\r\nb\r\n', 2],
    ['\n\n\n', 3],
  ])('lineCount(%j) is %i, as wc -l counts', (text, expected) => {
    expect(lineCount(text)).toBe(expected);
  });

  it.each([
    ['interfaces and type aliases', 'export interface A { a: string }\ntype B = A | null;\nexport type C = B[];'],
    [
      'type imports and value imports used as types',
      "import type { X } from './x.js';\nimport { Y, type Z } from './y.js';\nexport type W = X | Y | Z;",
    ],
    ['type re-exports', "export type { X } from './x.js';\nexport { type Y } from './y.js';"],
    [
      'ambient declarations',
      "declare const version: string;\ndeclare module 'express' { interface Request { context?: unknown } }\nexport type V = typeof version;",
    ],
  ])('allows %s', (_, text) => {
    expect(runtimeStatements(text, 'x.interface.ts')).toEqual([]);
  });

  it.each([
    ['a function', 'export interface A { a: string }\nexport function make(): A {\n  return { a: "" };\n}', ['2: function make']],
    ['a class', 'export class Box {}', ['1: class Box']],
    ['an abstract class', 'export abstract class Store { abstract get(): string; }', ['1: class Store']],
    ['consts', 'export const A = 1, B = 2;', ['1: const A, B']],
    ['an arrow function const', 'export const f = (): number => 1;', ['1: const f']],
    ['an enum', 'export enum Mode { A, B }', ['1: enum Mode']],
    ['a const enum', 'export const enum Mode { A, B }', ['1: enum Mode']],
    ['a value re-export', "export { helper } from './helper.js';", ["1: statement export { helper } from './helper.js';"]],
    ['a star re-export', "export * from './helper.js';", ["1: statement export * from './helper.js';"]],
    ['a side-effect import', "import 'reflect-metadata';\nexport type T = 1;", ["1: statement import 'reflect-metadata';"]],
    ['a default export', 'let x = 1;\nexport default x;', ['1: let x', '2: statement export default x;']],
    ['a namespace with values', 'export namespace N { export const a = 1; }', ['1: namespace N']],
    ['a top-level call', "console.log('loaded');", ["1: statement console.log('loaded');"]],
  ])('flags %s, with its line', (_, text, expected) => {
    expect(runtimeStatements(text, 'x.interface.ts')).toEqual(expected);
  });
});
