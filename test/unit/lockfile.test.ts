/**
 * `npm ci` on any platform needs every platform's optional packages in package-lock.json (Biome's and DuckDB's native
 * binaries, esbuild's). npm drops an optional dependency from the lockfile, silently, when its manifest cannot be
 * fetched while the lockfile is written (a registry proxy or an offline cache that lacks other platforms' packages,
 * see @npmcli/arborist `#pruneFailedOptional`); `npm ci` on a machine that can fetch them then refuses the lockfile
 * as out of sync. This test fails on such a lockfile, on any machine, before a user on another platform does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly version?: string;
  readonly optionalDependencies?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
}

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as LockEntry;

/** The lockfile entry a dependency `name` of the package at `from` resolves to (Node's node_modules walk). */
function resolveIn(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

describe('package-lock.json', () => {
  it("records every locked package's optional dependencies, whatever their os/cpu", () => {
    const missing: string[] = [];
    let platformSpecific = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        const found = resolveIn(path, name);
        if (!found) missing.push(`${name} (optional dependency of ${path || 'the root'})`);
        else if (lock.packages[found]?.os || lock.packages[found]?.cpu) platformSpecific++;
      }
    }
    expect(missing).toEqual([]);
    // Biome (10 platforms), DuckDB (8) and esbuild (26) at least: the check looked at the binaries it is about.
    expect(platformSpecific).toBeGreaterThanOrEqual(44);
  });

  it('holds Linux, macOS and Windows binaries of Biome and DuckDB', () => {
    for (const platform of ['linux-x64', 'darwin-arm64', 'darwin-x64', 'win32-x64']) {
      expect(lock.packages).toHaveProperty([`node_modules/@biomejs/cli-${platform}`]);
      expect(lock.packages).toHaveProperty([`node_modules/@duckdb/node-bindings-${platform}`]);
    }
  });

  it("locks the root's dependencies at the versions package.json pins", () => {
    const root = lock.packages[''];
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const) {
      expect(root?.[field] ?? {}, field).toEqual(manifest[field] ?? {});
    }
  });
});
