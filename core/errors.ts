/**
 * Errors raised by the pure engine and the definition API, and the base every streamfold error extends.
 * Bad *input records* never throw: they become rejections with a reason. These errors are for bad *configuration*
 * and for calls that fail.
 */

/**
 * Base of every error streamfold raises. `code` is stable and machine-readable (`STATE_FORMAT`, `INVALID_SETTING`,
 * ...); the message is for people; `cause` keeps the error this one wraps, so name, stack and cause survive logging.
 */
export abstract class StreamfoldError extends Error {
  /** Stable, machine-readable code of this kind of error. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A setting (construct prop, cdk.json context key, environment variable, CLI option) is missing or has a value that
 * cannot be used. The message names the setting, quotes the value and says what would be accepted.
 */
export class SettingError extends StreamfoldError {
  override readonly name: string = 'SettingError';
  readonly code: string = 'INVALID_SETTING';
  /** Name of the setting: prop path, context key, environment variable or option. */
  readonly setting: string;
  /** The value that was given (`undefined` when missing). */
  readonly value: unknown;
  constructor(setting: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super(
      value === undefined
        ? `${setting}: not set; expected ${expected}`
        : `${setting}: expected ${expected}, got ${quote(value)}`,
      options,
    );
    this.setting = setting;
    this.value = value;
  }
}

/** Raised by {@link definePipeline} and the window/aggregate builders when a setting is invalid. */
export class DefinitionError extends StreamfoldError {
  override readonly name = 'DefinitionError';
  readonly code = 'INVALID_DEFINITION';
  /** Dotted path of the offending setting, e.g. `windows.activity5m.advance`. */
  readonly setting: string;
  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.setting = setting;
  }
}

/** Raised when a duration string or number cannot be understood. */
export class DurationError extends StreamfoldError {
  override readonly name = 'DurationError';
  readonly code = 'INVALID_DURATION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Raised when persisted engine state does not have the shape this engine version writes. */
export class StateFormatError extends StreamfoldError {
  override readonly name = 'StateFormatError';
  readonly code = 'STATE_FORMAT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Quote a value for an error message, briefly. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  if (typeof value === 'function') text = '[function]';
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
