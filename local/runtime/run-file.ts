import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EngineEndpoints } from '../engines/index';

/** What a running `streamfold dev` publishes for `streamfold produce` in another terminal. */
export interface RunFile {
  pid: number;
  pipeline: string;
  stream: string;
  endpoints: EngineEndpoints;
  startedAt: string;
}

/** Path of the run file in a working folder. */
export const runFilePath = (dir: string): string => join(dir, 'dev-run.json');

/** Write the run file. */
export async function writeRunFile(dir: string, run: RunFile): Promise<void> {
  const path = runFilePath(dir);
  await mkdir(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`);
}

/** Remove the run file (if it is ours). */
export function removeRunFile(dir: string, pid = process.pid): void {
  const run = readRunFile(dir);
  if (run?.pid === pid) rmSync(runFilePath(dir), { force: true });
}

/** The run file of a `streamfold dev` that is still running, or undefined. */
export function readRunFile(dir: string): RunFile | undefined {
  const path = runFilePath(dir);
  if (!existsSync(path)) return undefined;
  let run: RunFile;
  try {
    run = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
  } catch {
    return undefined;
  }
  try {
    process.kill(run.pid, 0);
  } catch {
    return undefined;
  }
  return run;
}
