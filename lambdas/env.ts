/**
 * The Lambdas' settings as read from the environment (the CDK constructs set them; local runs set them or inject
 * the values). One reader for the processor, the emitter, the closer and the spill re-delivery: an empty value counts
 * as unset, and a value that cannot be used is a {@link SettingError} naming the variable and quoting the value.
 *
 * Powertools commons has `getStringFromEnv`/`getNumberFromEnv`, but they throw plain `Error`s, treat an empty value as
 * set and are not a direct dependency of streamfold: not used.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SettingError } from '../core/errors';

/** The variable Powertools reads for the `service` key of log lines. */
export const SERVICE_NAME_ENV = 'POWERTOOLS_SERVICE_NAME';

/** The value of `name`, or undefined when unset or empty. */
export function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

/**
 * The value of `name`.
 * @param expected what the variable holds, for the message when it is missing (e.g. `the DynamoDB state table name`).
 * @throws SettingError when unset or empty.
 */
export function requiredEnv(name: string, expected: string): string {
  const value = optionalEnv(name);
  if (value === undefined) throw new SettingError(name, undefined, expected);
  return value;
}

/**
 * A positive number from `name`, `fallback` when unset or empty.
 * @throws SettingError for anything else (a NaN timeout would silently disable what it bounds).
 */
export function positiveNumberEnv(name: string, fallback: number): number {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new SettingError(name, raw, 'a positive number');
  return value;
}

/**
 * A positive integer from `name`, `fallback` when unset or empty.
 * @throws SettingError for anything else.
 */
export function positiveIntEnv(name: string, fallback: number): number {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new SettingError(name, raw, 'a positive integer');
  return value;
}

/**
 * A number of at least `min` from `name`, `fallback` when unset or empty.
 * @param expected what is accepted, for the message (e.g. `hours, at least 24`).
 * @throws SettingError for anything else.
 */
export function minNumberEnv(name: string, fallback: number, min: number, expected: string): number {
  const raw = optionalEnv(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) throw new SettingError(name, raw ?? value, expected);
  return value;
}

/**
 * `'true'` or `'false'` from `name`, `fallback` when unset or empty.
 * @throws SettingError for anything else.
 */
export function booleanEnv(name: string, fallback: boolean): boolean {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new SettingError(name, raw, "'true' or 'false'");
  return raw === 'true';
}

/** A comma-separated list from `name` (items trimmed, empty ones dropped); empty when unset. */
export function listEnv(name: string): string[] {
  return (optionalEnv(name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The Powertools logger of a pipeline's Lambda: `service` is {@link SERVICE_NAME_ENV} when set (the CDK constructs
 * set `streamfold-<pipeline>`), else the pipeline's name.
 */
export function createLogger(pipeline: { readonly name: string }): Logger {
  return new Logger({ serviceName: optionalEnv(SERVICE_NAME_ENV) ?? pipeline.name });
}
