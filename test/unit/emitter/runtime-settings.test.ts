import { afterEach, describe, expect, it } from 'vitest';
import { SettingError } from '../../../core/errors';
import {
  createEmitterRuntime,
  EMISSION_ENV,
  MeteredSpillStore,
  persistResultsSetting,
} from '../../../lambdas/emitter/index';
import { CallbackSink } from '../../../lambdas/sinks/index';
import { FolderSpillStore } from '../../../local/runtime/index';
import { clickstream } from '../../../pipelines/clickstream';

const unused = { send: async () => Promise.reject(new Error('no DynamoDB in unit tests')) };
const base = { dynamodb: unused, stateTable: 's', dedupeTable: 'd' };
const sink = (name: string) => new CallbackSink(name, ['alert'], () => {});

afterEach(() => {
  delete process.env[EMISSION_ENV.persistResults];
  delete process.env[EMISSION_ENV.undeliveredBucket];
});

describe('emitter settings', () => {
  it('persistResults is off unless set: true/false from deps or the environment, anything else fails naming it', () => {
    expect(persistResultsSetting(undefined)).toBe(false);
    expect(createEmitterRuntime(clickstream, { ...base, sinks: [] }).context.resultItems).toBeUndefined();
    process.env[EMISSION_ENV.persistResults] = 'true';
    expect(persistResultsSetting(undefined)).toBe(true);
    expect(createEmitterRuntime(clickstream, { ...base, sinks: [] }).context.resultItems).toBeDefined();
    expect(persistResultsSetting(false)).toBe(false);
    process.env[EMISSION_ENV.persistResults] = 'yes';
    expect(() => persistResultsSetting(undefined)).toThrow(
      /STREAMFOLD_PERSIST_RESULTS: expected 'true' or 'false', got "yes"/,
    );
  });

  it('spills to the given store, to S3 when the bucket variable is set, else nowhere', () => {
    expect(createEmitterRuntime(clickstream, { ...base, sinks: [] }).context.spill).toBeUndefined();
    const folder = createEmitterRuntime(clickstream, { ...base, sinks: [], spill: new FolderSpillStore('/tmp/x') });
    expect(folder.context.spill).toBeInstanceOf(MeteredSpillStore);
    process.env[EMISSION_ENV.undeliveredBucket] = 'lake';
    expect(createEmitterRuntime(clickstream, { ...base, sinks: [] }).context.spill).toBeInstanceOf(MeteredSpillStore);
    expect(createEmitterRuntime(clickstream, { ...base, sinks: [], spill: false }).context.spill).toBeUndefined();
  });

  it('refuses sink names that cannot be part of marker and spill keys, and duplicates', () => {
    expect(() => createEmitterRuntime(clickstream, { ...base, sinks: [sink('ok-1.a_b')] })).not.toThrow();
    expect(() => createEmitterRuntime(clickstream, { ...base, sinks: [sink('a/b')] })).toThrow(SettingError);
    expect(() => createEmitterRuntime(clickstream, { ...base, sinks: [sink('a/b')] })).toThrow(/got "a\/b"/);
    expect(() => createEmitterRuntime(clickstream, { ...base, sinks: [sink('x'), sink('x')] })).toThrow(/x twice/);
  });
});
