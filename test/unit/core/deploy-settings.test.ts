/**
 * A definition's `deploy` section: validated when defined by the one schema that also reads cdk.json context, with
 * errors naming `deploy.<setting>` and quoting the value.
 */
import { DefinitionError, type DeploySettings, definePipeline, parseDeploySettings, tumbling } from 'streamfold';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clickstream } from '../../../pipelines/clickstream';

const define = (deploy: unknown) =>
  definePipeline({
    name: 'orders',
    schema: z.object({ id: z.string(), shop: z.string(), kind: z.enum(['new', 'paid']), ts: z.number() }),
    key: 'shop',
    time: 'ts',
    windows: { perMinute: tumbling('1m') },
    aggregates: ({ count }) => ({ orders: count() }),
    deploy: deploy as DeploySettings,
  });

describe('deploy section', () => {
  it('is kept on the pipeline, validated and typed', () => {
    const p = define({
      batchSize: 250,
      eventTypeField: 'kind',
      dedupeTtlHours: 48,
      alarmThresholds: { latePercent: 3 },
      ingestion: 'kinesis',
      removalPolicy: 'destroy',
    });
    expect(p.deploy).toEqual({
      batchSize: 250,
      eventTypeField: 'kind',
      dedupeTtlHours: 48,
      alarmThresholds: { latePercent: 3 },
      ingestion: 'kinesis',
      removalPolicy: 'destroy',
    });
    expect(define(undefined).deploy).toEqual({});
  });

  it("holds the reference pipeline's data lake partition field", () => {
    expect(clickstream.deploy.eventTypeField).toBe('type');
  });

  it.each([
    [{ batchSize: 'many' }, 'deploy.batchSize: expected a number, got "many"'],
    [{ ingestion: 'kafka' }, `deploy.ingestion: expected 'kinesis' or 'msk', got "kafka"`],
    [{ enhancedFanOut: 'yes' }, 'deploy.enhancedFanOut: expected true or false, got "yes"'],
    [{ closerIntervalMinutes: -5 }, 'deploy.closerIntervalMinutes: expected a number ≥ 0, got -5'],
    [{ eventTypeField: 7 }, 'deploy.eventTypeField: expected a string, got 7'],
    [{ alarmThresholds: { latePercent: -1 } }, 'deploy.alarmThresholds.latePercent: expected a number ≥ 0, got -1'],
    [{ alarmThresholds: [1] }, 'deploy.alarmThresholds: expected an object of thresholds, got [1]'],
    [{ removalPolicy: 'snapshot' }, `deploy.removalPolicy: expected 'retain' or 'destroy', got "snapshot"`],
    ['fast', 'deploy: expected an object of deploy settings, got "fast"'],
  ])('rejects %o naming the setting and quoting the value', (deploy, message) => {
    const build = () => define(deploy);
    expect(build).toThrow(DefinitionError);
    expect(build).toThrow(message);
  });

  it('rejects an unknown setting or threshold, listing the known ones', () => {
    expect(() => define({ batchSzie: 10 })).toThrow(/^deploy\.batchSzie: expected one of ingestion, .*batchSize,/);
    expect(() => define({ alarmThresholds: { lateRatio: 1 } })).toThrow(
      /^deploy\.alarmThresholds\.lateRatio: expected one of iteratorAgeMs, .*latePercent/,
    );
  });

  it('reads command-line strings (cdk.json context) with the same schema', () => {
    const fail = ({ setting }: { setting: string }): never => {
      throw new Error(setting);
    };
    expect(
      parseDeploySettings(
        { batchSize: '100', timestream: 'false', idleTimeoutSeconds: '90', alarmThresholds: '{"latePercent":2}' },
        fail,
      ),
    ).toEqual({ batchSize: 100, timestream: false, idleTimeoutSeconds: 90, alarmThresholds: { latePercent: 2 } });
  });
});
