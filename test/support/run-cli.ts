/**
 * Runs the real `streamfold` command, `node bin/streamfold.js ...` (from a checkout it runs the TypeScript sources
 * through tsx; installed, the compiled dist/), in a child process: what users run, not commands registered by hand.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's `bin/streamfold.js`. */
export const STREAMFOLD_BIN = fileURLToPath(new URL('../../bin/streamfold.js', import.meta.url));
/** The repository root (the default working directory of {@link runCli}). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What one run printed and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** @default the repository root */
  readonly cwd?: string;
  /** The `streamfold` bin to run. @default {@link STREAMFOLD_BIN} */
  readonly bin?: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
}

/** Run `streamfold <args>` and resolve with its exit code and output (never rejects on a non-zero exit). */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [options.bin ?? STREAMFOLD_BIN, ...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1', ...options.env },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
