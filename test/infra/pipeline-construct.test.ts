/**
 * The StreamfoldPipeline construct in any stack, settings from the definition's `deploy` section with cdk.json context
 * over them, and `addPipelineStacks` (one stack per pipeline file of a folder). No bundling: default-stack.test.ts
 * bundles; here the construct tree and its settings are what is checked.
 */
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  addPipelineStacks,
  PipelineFileError,
  SettingError,
  StreamfoldPipeline,
  StreamfoldStack,
  settingsFromContext,
} from 'streamfold/cdk';
import { describe, expect, it } from 'vitest';
import { orders } from '../fixtures/pipeline-folders/two/orders';
import { payments } from '../fixtures/pipeline-folders/two/payments';
import { resourcesOf } from './stack-fixture';

const folder = (name: string) => new URL(`../fixtures/pipeline-folders/${name}/`, import.meta.url);
const ORDERS = { path: fileURLToPath(new URL('orders.ts', folder('two'))), exportName: 'orders' };
const PAYMENTS = { path: fileURLToPath(new URL('payments.ts', folder('two'))), exportName: 'payments' };
const noBundling = (context: Record<string, unknown> = {}) =>
  new App({ context: { 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });

const esmOf = (template: Template, fn: string) =>
  resourcesOf(template, 'AWS::Lambda::EventSourceMapping').find(([, r]) =>
    JSON.stringify(r.Properties.FunctionName).includes(fn),
  )?.[1].Properties;
const processorEnv = (template: Template, pipeline: string) =>
  resourcesOf(template, 'AWS::Lambda::Function').find(([, r]) =>
    String(r.Properties.Description).startsWith(`streamfold processor of pipeline ${pipeline}`),
  )?.[1].Properties.Environment.Variables;
const alarmThreshold = (template: Template, namePart: string) =>
  resourcesOf(template, 'AWS::CloudWatch::Alarm').find(([id]) => id.includes(namePart))?.[1].Properties.Threshold;

describe('StreamfoldPipeline', () => {
  it('deploys two pipelines side by side in a stack of your own, cdk-nag clean', () => {
    const app = noBundling();
    const stack = new Stack(app, 'analytics');
    const a = new StreamfoldPipeline(stack, 'Orders', { pipeline: orders, definition: ORDERS });
    const b = new StreamfoldPipeline(stack, 'Payments', { pipeline: payments, definition: PAYMENTS });
    const template = Template.fromStack(stack);
    const tables = resourcesOf(template, 'AWS::DynamoDB::Table').map(([, r]) => r.Properties.TableName);
    expect(tables.sort()).toEqual(['orders-dedupe', 'orders-state', 'payments-dedupe', 'payments-state']);
    expect(template.findResources('AWS::Kinesis::Stream')).toSatisfy((s: object) => Object.keys(s).length === 2);
    expect([a.names.stream, b.names.stream]).toEqual(['orders-events', 'payments-events']);
    const nag = new AwsSolutionsChecks(app).validateScope(app);
    expect(nag.violations).toEqual([]);
  });

  it("takes settings from the definition's deploy section", () => {
    const app = noBundling();
    const stack = new Stack(app, 's');
    new StreamfoldPipeline(stack, 'Orders', { pipeline: orders, definition: ORDERS });
    const template = Template.fromStack(stack);
    expect(esmOf(template, 'Processor')?.BatchSize).toBe(250);
    expect(processorEnv(template, 'orders')?.STREAMFOLD_IDLE_TIMEOUT_MS).toBe('120000');
    // The processor partitions the clean events by the deploy section's field (`event_type=` from `sf_event_type`).
    expect(processorEnv(template, 'orders')?.STREAMFOLD_CLEAN_PARTITION_FIELD).toBe('status');
    const glue = resourcesOf(template, 'AWS::Glue::Table').map(([, r]) => JSON.stringify(r.Properties));
    expect(glue.some((t) => t.includes('"projection.event_type.values":"new,paid,shipped,other"'))).toBe(true);
    expect(alarmThreshold(template, 'LateRate')).toBe(3);
    expect(alarmThreshold(template, 'RejectedRate')).toBe(4);
  });

  it('props override the deploy section, setting by setting', () => {
    const app = noBundling();
    const stack = new Stack(app, 's');
    new StreamfoldPipeline(stack, 'Orders', {
      pipeline: orders,
      definition: ORDERS,
      batchSize: 100,
      idleTimeout: Duration.seconds(30),
      alarmThresholds: { latePercent: 9 },
    });
    const template = Template.fromStack(stack);
    expect(esmOf(template, 'Processor')?.BatchSize).toBe(100);
    expect(processorEnv(template, 'orders')?.STREAMFOLD_IDLE_TIMEOUT_MS).toBe('30000');
    expect(alarmThreshold(template, 'LateRate')).toBe(9);
    expect(alarmThreshold(template, 'RejectedRate')).toBe(4); // kept from the deploy section
  });

  it('a bad deploy value fails at synth naming the setting (ranges are the construct checks)', () => {
    const tooBig = { ...orders, deploy: { ...orders.deploy, batchSize: 20_000 } };
    const build = () =>
      new StreamfoldPipeline(new Stack(noBundling(), 's'), 'O', { pipeline: tooBig, definition: ORDERS });
    expect(build).toThrow(SettingError);
    expect(build).toThrow('batchSize: expected an integer from 1 to 10000, got 20000');
  });
});

describe('deploy section: warehouse, MSK pollers, producer principal, raw copy', () => {
  const SNOWFLAKE = {
    snowflakeAccountUrl: 'https://xy12345.eu-west-1.snowflakecomputing.com',
    snowflakeSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:streamfold/snowflake-AbC123',
    snowflakeDatabase: 'ANALYTICS',
    snowflakeSchema: 'STREAMFOLD',
    snowflakeTable: 'ORDERS_EVENTS_LOG',
  };
  const withDeploy = (deploy: Record<string, unknown>) =>
    ({ ...orders, deploy: { ...orders.deploy, ...deploy } }) as typeof orders;

  it('builds the producer role, the raw copy and date/hour-only partitions from the deploy section', () => {
    const stack = new Stack(noBundling(), 's');
    const p = new StreamfoldPipeline(stack, 'Orders', {
      pipeline: withDeploy({
        producerPrincipalArn: 'arn:aws:iam::123456789012:role/producer',
        rawEventDelivery: true,
        eventTypeField: false,
      }),
      definition: ORDERS,
    });
    const template = Template.fromStack(stack);
    expect(p.kinesis?.producerRole).toBeDefined();
    const trusts = resourcesOf(template, 'AWS::IAM::Role').map(([, r]) => JSON.stringify(r.Properties));
    expect(trusts.some((t) => t.includes('arn:aws:iam::123456789012:role/producer'))).toBe(true);
    expect(p.rawDelivery?.deliveryStreamName).toBe('orders-raw-events');
    expect(processorEnv(template, 'orders')?.STREAMFOLD_CLEAN_PARTITION_FIELD).toBe('false');
  });

  it('takes the MSK pollers from the deploy section, a context value over one of them', () => {
    const stack = new Stack(noBundling(), 's');
    new StreamfoldPipeline(stack, 'Orders', {
      pipeline: withDeploy({ ingestion: 'msk', mskMinPollers: 2, mskMaxPollers: 8 }),
      definition: ORDERS,
      ...settingsFromContext(noBundling({ mskMaxPollers: '20' }).node),
    });
    const esm = esmOf(Template.fromStack(stack), 'Processor');
    expect(esm?.ProvisionedPollerConfig).toEqual({ MinimumPollers: 2, MaximumPollers: 20 });
  });

  it('takes the Snowflake destination from the deploy section, context over it key by key', () => {
    const stack = new Stack(noBundling(), 's');
    const p = new StreamfoldPipeline(stack, 'Orders', {
      pipeline: withDeploy({ warehouse: 'snowflake', ...SNOWFLAKE }),
      definition: ORDERS,
      ...settingsFromContext(noBundling({ snowflakeTable: 'OTHER_TABLE' }).node),
    });
    expect(p.snowflake?.deliveryStreamName).toBe('orders-snowflake');
    const snowflake = resourcesOf(Template.fromStack(stack), 'AWS::KinesisFirehose::DeliveryStream')
      .map(([, r]) => r.Properties.SnowflakeDestinationConfiguration)
      .find(Boolean);
    expect(snowflake).toMatchObject({ Database: 'ANALYTICS', Schema: 'STREAMFOLD', Table: 'OTHER_TABLE' });
  });

  it('a partial destination fails at synth naming the missing setting', () => {
    const build = () =>
      new StreamfoldPipeline(new Stack(noBundling(), 's'), 'Orders', {
        pipeline: withDeploy({ warehouse: 'snowflake', snowflakeAccountUrl: SNOWFLAKE.snowflakeAccountUrl }),
        definition: ORDERS,
      });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(/\(context snowflakeSecretArn\)/);
  });
});

describe('cdk.json context over the deploy section', () => {
  it('overrides a deploy setting for the pipelines of the app; thresholds merge by name', () => {
    const app = noBundling({ batchSize: '50', alarmThresholds: '{"latePercent":7}' });
    const stack = new StreamfoldStack(app, 'streamfold-orders', {
      pipeline: orders,
      definition: ORDERS,
      ...settingsFromContext(app.node),
    });
    const template = Template.fromStack(stack);
    expect(esmOf(template, 'Processor')?.BatchSize).toBe(50);
    expect(processorEnv(template, 'orders')?.STREAMFOLD_IDLE_TIMEOUT_MS).toBe('120000');
    expect(alarmThreshold(template, 'LateRate')).toBe(7);
    expect(alarmThreshold(template, 'RejectedRate')).toBe(4);
  });

  it('a bad context value fails naming the key and quoting the value', () => {
    expect(() => settingsFromContext(noBundling({ idleTimeoutSeconds: 'a minute' }).node)).toThrow(
      'idleTimeoutSeconds: expected a number, got "a minute"',
    );
  });
});

describe('addPipelineStacks', () => {
  it('adds one stack per exported pipeline, named after it, with context over deploy settings', async () => {
    const app = noBundling({ retryAttempts: '3' });
    const stacks = await addPipelineStacks(app, { dir: folder('two') });
    expect(stacks.map((s) => s.stackName)).toEqual(['streamfold-orders', 'streamfold-payments']);
    expect(stacks.map((s) => s.pipeline.processor.node.path)).toEqual([
      'streamfold-orders/Default/Processor',
      'streamfold-payments/Default/Processor',
    ]);
    const [o, p] = stacks.map((s) => Template.fromStack(s));
    expect(esmOf(o!, 'Processor')).toMatchObject({ BatchSize: 250, MaximumRetryAttempts: 3 });
    expect(esmOf(p!, 'Processor')).toMatchObject({ BatchSize: 500, MaximumRetryAttempts: 3 });
    const nag = new AwsSolutionsChecks(app).validateScope(app);
    expect(nag.violations).toEqual([]);
  });

  it('fails on two pipelines of the same name, and on a folder without pipelines', async () => {
    await expect(addPipelineStacks(noBundling(), { dir: folder('same-name') })).rejects.toThrow(
      /b\.ts: pipeline name "twin" is also exported by .*a\.ts \(a\): names must be unique/,
    );
    await expect(addPipelineStacks(noBundling(), { dir: folder('none') })).rejects.toThrow(PipelineFileError);
    await expect(addPipelineStacks(noBundling(), { dir: folder('none') })).rejects.toThrow(
      /no pipeline exported from the 1 file\(s\) in .*none/,
    );
  });
});
