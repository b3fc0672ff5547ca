import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One fenced TypeScript block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repository root (`README.md`, `docs/tokens.md`). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The block's text, indentation of the fence removed. */
  code: string;
}

/** What the compiler said about one snippet, lines given in the Markdown file. */
export interface SnippetResult {
  snippet: Snippet;
  /** `line N: TSxxxx message`, empty when the snippet compiles. */
  diagnostics: string[];
}

const CHECKED_LANGUAGES = new Set(['ts', 'typescript']);
const OPENING = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/;

/**
 * Every ```ts (or ```typescript) block of a Markdown document. Other languages are left
 * alone, so shell sessions, JSON and HTTP exchanges are written with their own fence.
 */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const opening = OPENING.exec(lines[index]!);
    if (opening === null) continue;
    const [, indent, fence, info] = opening as unknown as [string, string, string, string];
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && !closing.test(lines[index]!); index++) {
      body.push(lines[index]!.startsWith(indent) ? lines[index]!.slice(indent.length) : lines[index]!.trimStart());
    }
    if (index === lines.length) throw new Error(`${file}:${start + 1}: the code fence opened here is never closed`);
    if (CHECKED_LANGUAGES.has(info.toLowerCase())) snippets.push({ file, line: start + 1, code: body.join('\n') });
  }
  return snippets;
}

/** README.md and every docs/*.md of the repository, with their ts blocks. */
export function documentationSnippets(root: string): Snippet[] {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  return ['README.md', ...docs].flatMap((file) => extractSnippets(readFileSync(join(root, file), 'utf8'), file));
}

/**
 * Where the package's entry points resolve: the sources, so the documentation is checked
 * against the code as it is, without a build.
 */
export function packageEntries(root: string): Record<string, string> {
  return {
    'nestjs-warden': join(root, 'src/index.ts'),
    'nestjs-warden/redis': join(root, 'src/redis/index.ts'),
    'nestjs-warden/testing': join(root, 'src/testing/index.ts'),
    'nestjs-warden/otel': join(root, 'src/otel/index.ts'),
    'nestjs-warden/postgres': join(root, 'src/postgres/index.ts'),
  };
}

/**
 * Type-checks every snippet as its own ES module, all in one program, with the compiler
 * options of tsconfig.json (strict, decorators with metadata, NodeNext). The snippets are
 * virtual files next to this one, so bare imports resolve from the repository's
 * node_modules and `nestjs-warden` from `src/`.
 */
export function typeCheckSnippets(root: string, snippets: readonly Snippet[]): { results: SnippetResult[]; program: ts.Program } {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error('tsconfig.json could not be read');
  const paths = Object.fromEntries(Object.entries(packageEntries(root)).map(([name, target]) => [name, [target]]));
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    paths,
    // Each block is a module of its own even when it imports nothing.
    moduleDetection: ts.ModuleDetectionKind.Force,
  };

  const virtual = new Map<string, Snippet>();
  snippets.forEach((snippet, index) => {
    const name = `${snippet.file.replace(/[^\w.-]/g, '_')}.L${snippet.line}.${index}`;
    // .mts: an ES module whatever package.json says, as in a NestJS 12 app (top-level await allowed).
    virtual.set(join(root, 'test/docs', `__snippet__${name}.mts`), snippet);
  });

  const host = ts.createCompilerHost(options, true);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName);
  host.readFile = (fileName) => virtual.get(fileName)?.code ?? readFile(fileName);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const snippet = virtual.get(fileName);
    return snippet === undefined
      ? getSourceFile(fileName, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(fileName, snippet.code, languageVersion, true);
  };

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0) throw new Error(ts.formatDiagnostics(global, formatHost(root)));

  const results = [...virtual].map(([fileName, snippet]) => {
    const source = program.getSourceFile(fileName)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
      return `line ${snippet.line + 1 + line}: TS${diagnostic.code} ${message}`;
    });
    return { snippet, diagnostics };
  });
  return { results, program };
}

/** A failing snippet as the report shows it: where its fence is, and what the compiler said. */
export function formatFailure(result: SnippetResult): string {
  return [`${result.snippet.file}:${result.snippet.line} (\`\`\`ts block)`, ...result.diagnostics.map((d) => `  ${d}`)].join('\n');
}

function formatHost(root: string): ts.FormatDiagnosticsHost {
  return {
    getCanonicalFileName: (fileName) => relative(root, fileName),
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
}
