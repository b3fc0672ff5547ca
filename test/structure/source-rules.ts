import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** The house limit: a file over this many lines is asking to be split (STYLE.md, Shape). */
export const MAX_LINES = 250;

/** Test files that sit next to the code they test; the rules below are about the code. */
const TEST_FILE = /\.(spec|heavy)\.ts$/;

/** Every `.ts` source file under `root` (tests excepted), as `/`-separated paths relative to `base`, sorted. */
export function sourceFiles(root: string, base: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.ts') && !TEST_FILE.test(entry.name))
        files.push(relative(base, path).split(sep).join('/'));
    }
  };
  walk(root);
  return files.sort();
}

/** Lines as `wc -l` and an editor count them: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split(/\r?\n/);
  return text.endsWith('\n') ? lines.length - 1 : lines.length;
}

/** `path: N lines (limit 250)` for each file over the limit. */
export function oversizedFiles(base: string, files: readonly string[], max = MAX_LINES): string[] {
  return files.flatMap((file) => {
    const lines = lineCount(readFileSync(join(base, file), 'utf8'));
    return lines > max ? [`${file}: ${lines} lines (limit ${max})`] : [];
  });
}

function hasDeclareModifier(statement: ts.Statement): boolean {
  return ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
}

function isTypeOnlyExport(statement: ts.ExportDeclaration): boolean {
  if (statement.isTypeOnly) return true;
  const clause = statement.exportClause;
  return (
    clause !== undefined &&
    ts.isNamedExports(clause) &&
    clause.elements.length > 0 &&
    clause.elements.every((element) => element.isTypeOnly)
  );
}

/** Whether a top-level statement emits nothing at run time. */
function isTypeLevel(statement: ts.Statement): boolean {
  if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) return true;
  if (ts.isEmptyStatement(statement) || hasDeclareModifier(statement)) return true;
  // An import whose bindings are used only as types is erased; one without bindings runs the module.
  if (ts.isImportDeclaration(statement)) return statement.importClause !== undefined;
  if (ts.isExportDeclaration(statement)) return isTypeOnlyExport(statement);
  return false;
}

function label(statement: ts.Statement, source: ts.SourceFile): string {
  const firstLine = (): string => statement.getText(source).split('\n')[0]!.slice(0, 60);
  if (ts.isFunctionDeclaration(statement)) return `function ${statement.name?.text ?? '(default)'}`;
  if (ts.isClassDeclaration(statement)) return `class ${statement.name?.text ?? '(default)'}`;
  if (ts.isEnumDeclaration(statement)) return `enum ${statement.name.text}`;
  if (ts.isModuleDeclaration(statement)) return `namespace ${statement.name.getText(source)}`;
  if (ts.isVariableStatement(statement)) {
    const flags = statement.declarationList.flags;
    const keyword = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
    return `${keyword} ${statement.declarationList.declarations.map((d) => d.name.getText(source)).join(', ')}`;
  }
  return `statement ${firstLine()}`;
}

/**
 * The top-level statements of a file that exist at run time (functions, classes, variables,
 * enums, expressions, value re-exports, side-effect imports), as `line: kind name`.
 */
export function runtimeStatements(text: string, fileName: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return source.statements
    .filter((statement) => !isTypeLevel(statement))
    .map((statement) => `${source.getLineAndCharacterOfPosition(statement.getStart(source)).line + 1}: ${label(statement, source)}`);
}

/** `path:line: kind name` for each runtime statement in an `*.interface.ts` file. */
export function runtimeCodeInInterfaceFiles(base: string, files: readonly string[]): string[] {
  return files
    .filter((file) => file.endsWith('.interface.ts'))
    .flatMap((file) => runtimeStatements(readFileSync(join(base, file), 'utf8'), file).map((statement) => `${file}:${statement}`));
}
