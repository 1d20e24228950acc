import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import {
  type CheckReport,
  COMPATIBILITY_MODES,
  type Compatibility,
  compareLocks,
  type DefinitionLock,
  formatLock,
  formatReport,
  parseLock,
} from '../../../core';
import { definitionLockPath, lockForPipeline } from '../../../lib/definition-check';
import type { CliContext, RegisterCommand } from '../context';
import { CliError } from '../errors';
import { loadPipeline, PIPELINE_OPTION_HELP } from '../load-pipeline';

interface CheckFlags {
  pipeline: string;
  against?: string;
  write?: boolean;
  accept: string[];
  compatibility?: Compatibility;
  json?: boolean;
}

/** The definition has incompatible changes (exit code 1, like a failed check in CI). */
export class IncompatibleDefinitionError extends CliError {
  override readonly name = 'IncompatibleDefinitionError';
  override readonly exitCode = 1;
}

/** The lock to compare with is missing or unreadable, or `--accept` names nothing acceptable (exit code 2). */
export class LockFileError extends CliError {
  override readonly name = 'LockFileError';
}

const collect = (value: string, previous: string[]) => [...previous, value];

function compatibilityMode(value: string): Compatibility {
  const mode = value.toUpperCase() as Compatibility;
  if (!COMPATIBILITY_MODES.includes(mode)) {
    throw new InvalidArgumentError(`expected one of ${COMPATIBILITY_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return mode;
}

/** The lock to compare with: a lock file, a definition file, or the lock file as of a git ref. */
async function lockAgainst(against: string, lockPath: string, cwd: string): Promise<DefinitionLock> {
  const path = resolve(cwd, against);
  if (existsSync(path) && statSync(path).isFile()) {
    if (path.endsWith('.json')) return parseLock(readFileSync(path, 'utf8'), relative(cwd, path) || path);
    const { pipeline } = await loadPipeline(path, cwd);
    return lockForPipeline(pipeline);
  }
  let text: string;
  try {
    text = execFileSync('git', ['show', `${against}:./${basename(lockPath)}`], {
      cwd: dirname(lockPath),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new LockFileError(
      `--against ${JSON.stringify(against)}: not a file, and git has no ${basename(lockPath)} at that ref (${stderr || (error as Error).message})`,
    );
  }
  return parseLock(text, `${basename(lockPath)} at ${against}`);
}

/**
 * `streamfold check`: compare a pipeline definition with its lock file (README "Changing a pipeline"), print every
 * change with its class, fail on an incompatible one, and with `--write` update the lock.
 */
export const registerCheck: RegisterCommand = (program, context) => {
  program
    .command('check')
    .description(
      'Compare a pipeline definition with its lock file (<definition>.lock.json beside it, or --against a git ref or ' +
        'file) and print every change with its class: compatible, carried with partial windows, or incompatible. ' +
        'Exits 1 on an incompatible change. --write updates the lock (never over an incompatible change).',
    )
    .option('-p, --pipeline <file.ts>', PIPELINE_OPTION_HELP)
    .option('--against <ref-or-file>', 'compare with the lock file as of a git ref, or with a lock or definition file')
    .option('-w, --write', 'write the lock file beside the definition (creates it when missing)')
    .option(
      '--accept <subject>',
      'accept an incompatible change the running pipeline cannot see (a function source, a field, the schema), e.g. aggregates.revenue (repeatable)',
      collect,
      [],
    )
    .option(
      '--compatibility <mode>',
      `event schema compatibility mode: ${COMPATIBILITY_MODES.join(', ')}`,
      compatibilityMode,
    )
    .option('--json', 'print the report as JSON')
    .action((flags: CheckFlags) => check(flags, context));
};

/** Compare, print the report, write the lock when asked and nothing is incompatible, fail on an incompatible change. */
async function check(flags: CheckFlags, context: CliContext): Promise<void> {
  const { pipeline, path } = await loadPipeline(flags.pipeline, context.cwd);
  const lockPath = definitionLockPath(path);
  const shown = (p: string) => relative(context.cwd, p) || p;
  const { before, source } = await lockBefore(flags, lockPath, shown(path), context.cwd);
  if (before && before.pipeline !== pipeline.name) {
    throw new LockFileError(`${source} is the lock of pipeline "${before.pipeline}", not "${pipeline.name}"`);
  }
  const after = lockForPipeline(pipeline, { previous: before, compatibility: flags.compatibility });
  const report: CheckReport = before
    ? compareLocks(before, after, { accept: flags.accept })
    : { pipeline: pipeline.name, from: '-', to: after.layout, changes: [], incompatible: 0 };
  checkAccepted(report, flags.accept);
  const write = Boolean(flags.write) && report.incompatible === 0;
  if (write) writeFileSync(lockPath, formatLock(after));
  if (flags.json) {
    context.stdout(
      `${JSON.stringify({ ...report, against: source, lock: shown(lockPath), written: write }, null, 2)}\n`,
    );
  } else {
    context.stdout(`streamfold check: ${shown(path)} against ${before ? source : '(no lock yet)'}\n`);
    context.stdout(
      before ? formatReport(report) : `  first lock of pipeline "${pipeline.name}", layout ${after.layout}\n`,
    );
    if (write) context.stdout(`wrote ${shown(lockPath)}\n`);
    else if (flags.write) context.stdout(`${shown(lockPath)} not written: fix the incompatible changes first\n`);
  }
  if (report.incompatible > 0) {
    throw new IncompatibleDefinitionError(
      `${report.incompatible} incompatible change${report.incompatible > 1 ? 's' : ''} in ${shown(path)} (see the way out under each)`,
    );
  }
}

/**
 * The lock to compare with and how it is named: `--against`, else the lock file beside the definition (none yet is
 * fine with `--write`).
 */
async function lockBefore(
  flags: CheckFlags,
  lockPath: string,
  definition: string,
  cwd: string,
): Promise<{ before: DefinitionLock | undefined; source: string }> {
  if (flags.against !== undefined) {
    return { before: await lockAgainst(flags.against, lockPath, cwd), source: flags.against };
  }
  const source = relative(cwd, lockPath) || lockPath;
  if (existsSync(lockPath)) return { before: parseLock(readFileSync(lockPath, 'utf8'), source), source };
  if (!flags.write) {
    throw new LockFileError(
      `no lock file ${source}: create it with streamfold check --pipeline ${definition} --write (and commit it)`,
    );
  }
  return { before: undefined, source };
}

/** Every `--accept` subject names an incompatible change it accepted. */
function checkAccepted(report: CheckReport, accept: readonly string[]): void {
  for (const subject of accept) {
    if (!report.changes.some((c) => c.subject === subject && c.accepted)) {
      const acceptable = report.changes.filter((c) => c.acceptable).map((c) => c.subject);
      throw new LockFileError(
        `--accept ${subject}: no incompatible change of ${subject} can be accepted (acceptable: ${acceptable.join(', ') || 'none'}; structural changes are declared in the definition: a new name or resets)`,
      );
    }
  }
}
