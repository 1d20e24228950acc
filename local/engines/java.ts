import { spawnSync } from 'node:child_process';
import { JavaMissingError } from './errors';

/** Minimum Java major version DynamoDB Local runs on. */
export const MIN_JAVA_MAJOR = 17;

/** Parse the major version out of `java -version` output ("17.0.15" -> 17, "1.8.0_392" -> 8). */
export function parseJavaMajor(output: string): number | undefined {
  const match = /version "([^"]+)"/.exec(output);
  if (match?.[1] === undefined) return undefined;
  const parts = match[1].split(/[._-]/);
  const major = parts[0] === '1' ? Number(parts[1]) : Number(parts[0]);
  return Number.isInteger(major) ? major : undefined;
}

/** Throw a {@link JavaMissingError} unless `java` on PATH is version 17 or newer; returns the major version. */
export function assertJava(command = 'java'): number {
  const result = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error) throw new JavaMissingError(undefined, { cause: result.error });
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  const major = parseJavaMajor(output);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new JavaMissingError(output.split('\n')[0]?.trim() || `exit code ${result.status}`);
  }
  return major;
}
