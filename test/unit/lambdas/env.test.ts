// The Lambdas' one environment reader: empty counts as unset, a bad value is a SettingError naming the variable and
// quoting the value.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SettingError } from '../../../core/errors';
import {
  booleanEnv,
  createLogger,
  listEnv,
  minNumberEnv,
  optionalEnv,
  positiveIntEnv,
  positiveNumberEnv,
  requiredEnv,
  SERVICE_NAME_ENV,
} from '../../../lambdas/env';

const NAME = 'STREAMFOLD_TEST_SETTING';

afterEach(() => {
  delete process.env[NAME];
  delete process.env[SERVICE_NAME_ENV];
  vi.restoreAllMocks();
});

/** The `service` of a line the logger writes. */
function serviceOfLine(pipeline: { name: string }): unknown {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  createLogger(pipeline).info('hello');
  vi.restoreAllMocks();
  return JSON.parse(lines.find((l) => l.includes('hello')) ?? '{}').service;
}

describe('lambdas/env', () => {
  it('treats unset and empty alike', () => {
    expect(optionalEnv(NAME)).toBeUndefined();
    process.env[NAME] = '';
    expect(optionalEnv(NAME)).toBeUndefined();
    expect(positiveIntEnv(NAME, 7)).toBe(7);
    expect(booleanEnv(NAME, true)).toBe(true);
    expect(listEnv(NAME)).toEqual([]);
    expect(() => requiredEnv(NAME, 'the table name')).toThrow(SettingError);
    expect(() => requiredEnv(NAME, 'the table name')).toThrow(`${NAME}: not set; expected the table name`);
  });

  it('refuses values it cannot use, naming the variable and quoting the value', () => {
    process.env[NAME] = '1.5';
    expect(positiveNumberEnv(NAME, 1)).toBe(1.5);
    expect(() => positiveIntEnv(NAME, 1)).toThrow(SettingError);
    expect(() => positiveIntEnv(NAME, 1)).toThrow(`${NAME}: expected a positive integer, got "1.5"`);
    process.env[NAME] = 'yes';
    expect(() => booleanEnv(NAME, false)).toThrow(`${NAME}: expected 'true' or 'false', got "yes"`);
    expect(() => positiveNumberEnv(NAME, 1)).toThrow(`${NAME}: expected a positive number, got "yes"`);
    process.env[NAME] = '12';
    expect(() => minNumberEnv(NAME, 48, 24, 'hours, at least 24')).toThrow(
      `${NAME}: expected hours, at least 24, got "12"`,
    );
  });

  it('reads lists and valid values', () => {
    process.env[NAME] = ' a, ,b ';
    expect(listEnv(NAME)).toEqual(['a', 'b']);
    expect(requiredEnv(NAME, 'x')).toBe(' a, ,b ');
    process.env[NAME] = 'false';
    expect(booleanEnv(NAME, true)).toBe(false);
    process.env[NAME] = '30';
    expect(minNumberEnv(NAME, 48, 24, 'hours')).toBe(30);
  });

  it('logs under POWERTOOLS_SERVICE_NAME when set, else under the pipeline name', () => {
    expect(serviceOfLine({ name: 'clickstream' })).toBe('clickstream');
    process.env[SERVICE_NAME_ENV] = 'streamfold-clickstream';
    expect(serviceOfLine({ name: 'clickstream' })).toBe('streamfold-clickstream');
  });
});
