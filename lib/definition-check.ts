/**
 * The definition lock check at synth (README "Changing a pipeline"): the CDK app compares the pipeline definition with
 * the lock file beside it and refuses to synthesize an incompatible change, so it cannot be deployed by accident.
 * The `streamfold check` command uses the same functions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { transformSync } from 'esbuild';
import {
  type CheckReport,
  type Compatibility,
  compareLocks,
  type DefinitionLock,
  formatReport,
  lockOf,
  type Pipeline,
  parseLock,
  plainSourceHash,
  type SourceHasher,
  shortHash,
} from '../core';
import { StreamfoldError } from '../core/errors';

/**
 * The hash of a function's canonical source: printed again by esbuild (whitespace, comments and syntax sugar
 * minified; names kept), so the TypeScript loader of the CLI, of `cdk synth` and of the tests agree on it.
 */
export const canonicalSourceHash: SourceHasher = (fn) => {
  const text = String(fn);
  if (text.includes('[native code]')) return plainSourceHash(fn);
  for (const wrap of [(t: string) => `f=(${t});`, (t: string) => `f={${t}};`]) {
    try {
      const code = transformSync(wrap(text), { minifyWhitespace: true, minifySyntax: true, loader: 'js' }).code;
      return shortHash(code.trim());
    } catch {
      // not an expression in this form (a method): try the next form
    }
  }
  return plainSourceHash(fn);
};

/** The lock file of a definition file: `<dir>/<file name without extension>.lock.json`. */
export function definitionLockPath(definitionPath: string): string {
  const name = basename(definitionPath).replace(/\.(m|c)?[jt]sx?$/, '');
  return join(dirname(definitionPath), `${name}.lock.json`);
}

/** The lock of a pipeline as it is now (canonical source hashes). */
export function lockForPipeline(
  pipeline: Pipeline,
  options: { previous?: DefinitionLock; compatibility?: Compatibility } = {},
): DefinitionLock {
  return lockOf(pipeline, { hashSource: canonicalSourceHash, ...options });
}

/** The definition does not pass the lock check; the message names every change and the way out. */
export class DefinitionCheckError extends StreamfoldError {
  override readonly name = 'DefinitionCheckError';
  readonly code = 'DEFINITION_CHECK';
  constructor(
    message: string,
    readonly report?: CheckReport,
  ) {
    super(message);
  }
}

/**
 * Check `pipeline` against the lock file at `lockPath` (as `cdk synth` does).
 * @returns the report and the lock (compatible changes not yet written to the lock are allowed; the caller may warn).
 * @throws DefinitionCheckError when the lock is missing, unreadable, of another pipeline, or when a change is
 *   incompatible (not declared in the definition and not accepted in the lock).
 */
export function checkDefinitionLock(
  pipeline: Pipeline,
  lockPath: string,
): { readonly report: CheckReport; readonly lock: DefinitionLock } {
  const create = `create it with: npx streamfold check --pipeline <definition file> --write (and commit it)`;
  if (!existsSync(lockPath)) {
    throw new DefinitionCheckError(
      `definitionLock: no lock file ${JSON.stringify(lockPath)} for pipeline "${pipeline.name}"; ${create}`,
    );
  }
  let lock: DefinitionLock;
  try {
    lock = parseLock(readFileSync(lockPath, 'utf8'), lockPath);
  } catch (error) {
    throw new DefinitionCheckError(`definitionLock: ${(error as Error).message}`);
  }
  if (lock.pipeline !== pipeline.name) {
    throw new DefinitionCheckError(
      `definitionLock: ${JSON.stringify(lockPath)} is the lock of pipeline "${lock.pipeline}", not "${pipeline.name}" (set definitionLock to this pipeline's lock file, or false to skip the check)`,
    );
  }
  const report = compareLocks(lock, lockForPipeline(pipeline, { previous: lock }));
  if (report.incompatible > 0) {
    throw new DefinitionCheckError(
      `pipeline "${pipeline.name}" has ${report.incompatible} incompatible change(s) against ${lockPath}; it is not deployed:\n${formatReport(report)}` +
        'Take the way out of each incompatible change, then run npx streamfold check --write and commit the lock.',
      report,
    );
  }
  return { report, lock };
}
