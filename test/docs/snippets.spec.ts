import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  documentationSnippets,
  extractSnippets,
  formatFailure,
  packageEntries,
  typeCheckSnippets,
  type SnippetResult,
} from './snippet-check.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const snippets = documentationSnippets(root);

// Known-bad and known-good blocks compiled in the same program: the check must tell them apart.
const probes = extractSnippets(
  [
    '# probes',
    '```ts',
    "import { AuthModule } from 'nestjs-warden';",
    'AuthModule.forRoot({ authentication: [] });',
    "import { NoSuchExport } from 'nestjs-warden';",
    '```',
    '```ts',
    'const shared = 1;',
    'export const value: number = shared;',
    '```',
    '```ts',
    'const shared = 2;',
    'export const value: string = String(shared);',
    '```',
    '```ts',
    'undeclaredService.run();',
    '```',
    '```ts',
    "import { RedisRevocation } from 'nestjs-warden/redis';",
    "export const store = new RedisRevocation({ url: 'redis://127.0.0.1:6379', timeoutMs: 'fast' });",
    '```',
  ].join('\n'),
  'probes.md',
);

describe('extractSnippets', () => {
  it('takes ts and typescript fences, with the line of the fence, and skips other languages', () => {
    const markdown = [
      '# t',
      '```bash',
      'npm test',
      '```',
      '',
      '```ts',
      'const a = 1;',
      '```',
      '~~~typescript',
      'let b;',
      '~~~',
      '```json',
      '{}',
      '```',
    ].join('\n');
    expect(extractSnippets(markdown, 'x.md')).toEqual([
      { file: 'x.md', line: 6, code: 'const a = 1;' },
      { file: 'x.md', line: 9, code: 'let b;' },
    ]);
  });

  it('keeps a longer fence open across a shorter one, and strips the indentation of a fence in a list', () => {
    const markdown = ['1. step', '   ````ts', '   const a = "```";', '   ```', '   const b = 2;', '   ````'].join('\n');
    expect(extractSnippets(markdown, 'x.md')).toEqual([{ file: 'x.md', line: 2, code: 'const a = "```";\n```\nconst b = 2;' }]);
  });

  it('refuses a fence that is never closed, naming the file and line', () => {
    expect(() => extractSnippets('text\n```ts\nconst a = 1;\n', 'docs/x.md')).toThrow(
      'docs/x.md:2: the code fence opened here is never closed',
    );
  });
});

describe('documentation snippets type-check against the package', () => {
  let results: Map<string, SnippetResult>;
  let probeResults: SnippetResult[];
  let loaded: (file: string) => boolean;

  beforeAll(() => {
    const checked = typeCheckSnippets(root, [...snippets, ...probes]);
    results = new Map(checked.results.slice(0, snippets.length).map((result) => [`${result.snippet.file}:${result.snippet.line}`, result]));
    probeResults = checked.results.slice(snippets.length);
    loaded = (file) => checked.program.getSourceFile(join(root, file)) !== undefined;
  }, 180_000);

  it('finds the ts blocks of README.md and of every guide in docs/', () => {
    const files = new Set(snippets.map((snippet) => snippet.file));
    expect(files).toContain('README.md');
    for (const guide of ['configuration', 'backends', 'tokens', 'browser-apps', 'testing']) expect(files).toContain(`docs/${guide}.md`);
    expect(snippets.length).toBeGreaterThanOrEqual(20);
  });

  it("resolves 'nestjs-warden' to the sources, not to a stale dist/", () => {
    expect(packageEntries(root)['nestjs-warden']).toBe(join(root, 'src/index.ts'));
    expect(loaded('src/index.ts')).toBe(true);
    for (const built of ['dist/cjs/index.d.ts', 'dist/esm/index.d.ts']) expect(loaded(built)).toBe(false);
  });

  it('reports a broken snippet with the file and line of its fence and each diagnostic on its Markdown line', () => {
    const [broken, first, second, undeclared, wrongOption] = probeResults as [
      SnippetResult,
      SnippetResult,
      SnippetResult,
      SnippetResult,
      SnippetResult,
    ];
    expect(broken.diagnostics).toEqual([
      expect.stringMatching(/^line 5: TS2305 Module '"nestjs-warden"' has no exported member 'NoSuchExport'/),
    ]);
    expect(formatFailure(broken)).toMatch(/^probes\.md:2 \(```ts block\)\n {2}line 5: TS2305 /);
    // Each block is a module of its own: the same top-level names in two blocks do not clash.
    expect(first.diagnostics).toEqual([]);
    expect(second.diagnostics).toEqual([]);
    // Nothing is assumed: a name a block does not declare is an error.
    expect(undeclared.diagnostics).toEqual([expect.stringMatching(/^line 16: TS2304 Cannot find name 'undeclaredService'/)]);
    // The optional-peer subpath is checked too, option types included.
    expect(wrongOption.diagnostics).toEqual([expect.stringMatching(/^line 20: TS2322 Type 'string' is not assignable to type 'number'/)]);
  });

  it.each(snippets.map((snippet) => [`${snippet.file}:${snippet.line}`]))('%s compiles as pasted', (key) => {
    const result = results.get(key)!;
    expect(result.diagnostics.length === 0 ? '' : formatFailure(result)).toBe('');
  });
});
