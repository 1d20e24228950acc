/**
 * streamfold's own package: its folder and package.json, found by the package's name (Node resolves a package's own
 * name through its `exports`), so the same code finds the repository when it runs from source and the installed
 * package when it runs compiled from `dist/`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The fields of package.json the CLI reads. */
export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const manifestPath = createRequire(import.meta.url).resolve('streamfold/package.json');

/** Folder of the streamfold package (holds package.json, `templates/`, and `dist/` when built). */
export const PACKAGE_ROOT = dirname(manifestPath);

/** streamfold's package.json. */
export const PACKAGE_INFO = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageInfo;
