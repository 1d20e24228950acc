/**
 * Errors raised by the pure engine and the definition API.
 * Bad *input records* never throw: they become rejections with a reason. These errors are for bad *configuration*.
 */

/** Raised by {@link definePipeline} and the window/aggregate builders when a setting is invalid. */
export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
  /** Dotted path of the offending setting, e.g. `windows.activity5m.advance`. */
  readonly setting: string;
  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.setting = setting;
  }
}

/** Raised when a duration string or number cannot be understood. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Raised when persisted engine state does not have the shape this engine version writes. */
export class StateFormatError extends Error {
  override readonly name = 'StateFormatError';
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
