/**
 * Builds the npm package's `dist/` (`npm pack` runs it as `prepack`): JavaScript modules and type declarations of the
 * public entry points (entrypoints/*.ts), the CLI (bin/cli) and every module they import, compiled by TypeScript 5.9
 * with tsconfig.build.json. The sources import each other without file extensions (moduleResolution `Bundler`), which
 * Node's ES module loader does not accept, so a transformer rewrites every relative specifier to the file TypeScript
 * resolved it to (`'../core'` → `'../core/index.js'`), in the JavaScript and in the declarations alike. The modules the
 * Lambda bundles alias (lambdas/bundling: zod without its locales, the environment credentials) are compiled too, and
 * their tsconfig is written beside them with its `paths` pointing at the compiled files.
 *
 *   npx tsx scripts/build.ts        # or: npm run build
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const configFile = resolve(root, 'tsconfig.build.json');
/** The tsconfig files lib/processor-entry.ts bundles the functions with (`BUNDLING_TSCONFIG`), relative to the root. */
const BUNDLING_TSCONFIGS = ['lambdas/bundling/tsconfig.json'];

const host: ts.ParseConfigFileHost = {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => fail([d]),
};
const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, host)!;
if (config.errors.length > 0) fail(config.errors);

const outDir = config.options.outDir!;
rmSync(outDir, { recursive: true, force: true });

const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) fail(diagnostics);

const unresolved: string[] = [];
const result = program.emit(undefined, undefined, undefined, false, {
  after: [(context) => (file) => rewriteSpecifiers(context, file)],
  afterDeclarations: [(context) => (node) => (ts.isSourceFile(node) ? rewriteSpecifiers(context, node) : node)],
});
if (result.diagnostics.length > 0) fail(result.diagnostics);
if (unresolved.length > 0) {
  console.error(`build: relative imports that do not resolve to a source file:\n  ${unresolved.join('\n  ')}`);
  process.exit(1);
}
for (const file of BUNDLING_TSCONFIGS) writeBundlingTsconfig(file);
const emitted = program
  .getSourceFiles()
  .filter((f) => !f.isDeclarationFile && !program.isSourceFileFromExternalLibrary(f));

// Every entry point must load in Node as compiled (a deep import without its file extension, for example, would not).
for (const entry of config.fileNames) {
  const js = resolve(outDir, relative(config.options.rootDir!, entry)).replace(/\.ts$/, '.js');
  await import(pathToFileURL(js).href);
}
console.log(`build: ${emitted.length} modules compiled into ${relative(root, outDir)}/ (JavaScript and declarations)`);

/** Copies a bundling tsconfig into the output folder, its `paths` mapped to the compiled `.js` files. */
function writeBundlingTsconfig(file: string): void {
  const tsconfig = JSON.parse(readFileSync(resolve(root, file), 'utf8')) as {
    compilerOptions?: { paths?: Record<string, string[]> };
  };
  const paths = tsconfig.compilerOptions?.paths ?? {};
  for (const [name, targets] of Object.entries(paths)) paths[name] = targets.map((t) => t.replace(/\.ts$/, '.js'));
  writeFileSync(resolve(outDir, file), `${JSON.stringify(tsconfig, null, 2)}\n`);
}

/** The emitted `.js` path of relative specifier `specifier` in `fileName`, relative to it. */
function emittedSpecifier(specifier: string, fileName: string): string {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return specifier;
  const resolved = ts.resolveModuleName(specifier, fileName, config.options, ts.sys).resolvedModule;
  const target = resolved?.resolvedFileName;
  if (!target || target.endsWith('.d.ts') || !/\.[mc]?ts$/.test(target)) {
    unresolved.push(`${relative(root, fileName)}: ${JSON.stringify(specifier)}`);
    return specifier;
  }
  const js = target
    .replace(/\.ts$/, '.js')
    .replace(/\.mts$/, '.mjs')
    .replace(/\.cts$/, '.cjs');
  const path = relative(dirname(fileName), js).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/** Rewrites the module specifiers of imports, exports, `import()` calls and `import('...')` types. */
function rewriteSpecifiers(context: ts.TransformationContext, node: ts.SourceFile): ts.SourceFile {
  const f = context.factory;
  const fileName = node.fileName;
  const literal = (text: string) => f.createStringLiteral(emittedSpecifier(text, fileName));
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      return f.updateImportDeclaration(n, n.modifiers, n.importClause, literal(n.moduleSpecifier.text), n.attributes);
    }
    if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      return f.updateExportDeclaration(
        n,
        n.modifiers,
        n.isTypeOnly,
        n.exportClause,
        literal(n.moduleSpecifier.text),
        n.attributes,
      );
    }
    if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments.length > 0 &&
      ts.isStringLiteral(n.arguments[0]!)
    ) {
      return f.updateCallExpression(n, n.expression, n.typeArguments, [
        literal((n.arguments[0] as ts.StringLiteral).text),
        ...n.arguments.slice(1),
      ]);
    }
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      return f.updateImportTypeNode(
        n,
        f.createLiteralTypeNode(literal(n.argument.literal.text)),
        n.attributes,
        n.qualifier,
        n.typeArguments,
        n.isTypeOf,
      );
    }
    return ts.visitEachChild(n, visit, context);
  };
  return ts.visitEachChild(node, visit, context);
}

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  console.error(
    ts.formatDiagnosticsWithColorAndContext(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n',
    }),
  );
  process.exit(1);
}
