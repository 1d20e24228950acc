import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  type CustomAlarmThreshold,
  type CustomMetricWithAlarm,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { METRIC_DIMENSION, METRIC_NAMESPACE, METRICS } from '../core/contract';
import { SettingError } from '../core/errors';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from './alarm-thresholds';
import type { FirehoseDestinationKind } from './delivery-role';

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** Pipeline name: alarm name prefix, dashboard name, and the `pipeline` dimension of streamfold's metrics. */
  readonly pipelineName: string;
  /** Key encrypting the alarm topic (CloudWatch is allowed to use it). Ignored with `topic`. */
  readonly encryptionKey: kms.IKey;
  /**
   * Topic the alarms notify.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly topic?: sns.ITopic;
  /**
   * Email address subscribed to the alarm topic (confirm the subscription email).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarm thresholds.
   * @default - see {@link DEFAULT_ALARM_THRESHOLDS}
   */
  readonly thresholds?: AlarmThresholds;
  /** Where the processor reads from: `stream` for Kinesis, `msk` for MSK. */
  readonly sourceKind: 'kinesis' | 'msk';
  /**
   * The Kinesis stream (Kinesis ingestion only).
   * @default - no stream widgets and alarms
   */
  readonly stream?: kinesis.IStream;
  /** The processor function. */
  readonly processor: lambda.IFunction;
  /** UUID of the processor's event source mapping. */
  readonly eventSourceMappingId: string;
  /** The side-output queues. */
  readonly queues: { readonly rejected: sqs.IQueue; readonly late: sqs.IQueue; readonly failed: sqs.IQueue };
  /** The state and dedupe tables. */
  readonly tables: readonly dynamodb.ITable[];
  /**
   * Firehose delivery streams into the data lake (S3 destinations), each with freshness and success alarms.
   * @default []
   */
  readonly deliveryStreamNames?: readonly string[];
  /**
   * Delivery streams with their destination (the metrics that tell freshness and success differ per destination)
   * and the name their alarms carry.
   * @default []
   */
  readonly deliveries?: readonly MonitoredDelivery[];
}

/** A delivery stream to monitor. */
export interface MonitoredDelivery {
  readonly deliveryStreamName: string;
  readonly destination: FirehoseDestinationKind;
  /** Alarm name part, e.g. `CleanDelivery`. */
  readonly alarmFriendlyName: string;
}

/**
 * The Firehose metrics of a destination: the age of the oldest undelivered record (freshness), and whether deliveries
 * succeed (`ratio`: an average of 0..1, alarm below the success ratio; `count`: failed rows, alarm above 0). Redshift
 * has no freshness metric of its own: its intermediate S3 delivery is measured (each S3 object is loaded by COPY
 * right after it lands).
 */
export const FIREHOSE_DESTINATION_METRICS: Record<
  FirehoseDestinationKind,
  { readonly freshness: string; readonly success: { readonly metric: string; readonly kind: 'ratio' | 'count' } }
> = {
  s3: { freshness: 'DeliveryToS3.DataFreshness', success: { metric: 'DeliveryToS3.Success', kind: 'ratio' } },
  iceberg: {
    freshness: 'DeliveryToIceberg.DataFreshness',
    success: { metric: 'DeliveryToIceberg.FailedRowCount', kind: 'count' },
  },
  snowflake: {
    freshness: 'DeliveryToSnowflake.DataFreshness',
    success: { metric: 'DeliveryToSnowflake.Success', kind: 'ratio' },
  },
  redshift: {
    freshness: 'DeliveryToS3.DataFreshness',
    success: { metric: 'DeliveryToRedshift.Success', kind: 'ratio' },
  },
};

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Prefix of every alarm name of a pipeline's stack (`<prefix>-...`; the emission alarms use it too). The key policy
 * lets CloudWatch use the key only for alarms named so.
 */
export function alarmNamePrefix(pipelineName: string): string {
  return `streamfold-${pipelineName}`;
}
const PERIOD = Duration.minutes(5);

/** What an alarm of the facade may override: its description and how it treats missing data. */
export type AlarmOverrides = Pick<CustomAlarmThreshold, 'alarmDescriptionOverride' | 'treatMissingDataOverride'>;

/** A custom metric with one Critical alarm (above the threshold unless `comparisonOperator` says otherwise). */
export function customAlarm(
  name: string,
  metric: cloudwatch.IMetric & (cloudwatch.Metric | cloudwatch.MathExpression),
  threshold: number,
  comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  overrides: AlarmOverrides = {},
): CustomMetricWithAlarm {
  return { metric, alarmFriendlyName: name, addAlarm: { Critical: { threshold, comparisonOperator, ...overrides } } };
}

/**
 * Alarms and the pipeline's dashboard, built with cdk-monitoring-constructs and grouped ingestion / processing /
 * state / delivery / data quality. Every alarm notifies one SNS topic. What the library lacks (Firehose freshness
 * and success, event source mapping event counts, streamfold's EMF metrics) is added as custom metric alarms.
 * Later stages (emitter, closer) add their own segments through {@link facade}.
 */
export class PipelineMonitoring extends Construct {
  /** Topic the alarms notify. */
  readonly topic: sns.ITopic;
  /** The monitoring facade: add segments and alarms for more resources here. */
  readonly facade: MonitoringFacade;
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The effective thresholds. */
  readonly thresholds: Required<AlarmThresholds>;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const t: Required<AlarmThresholds> = { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds };
    for (const [name, value] of Object.entries(t)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new SettingError(`alarmThresholds.${name}`, value, 'a finite number ≥ 0');
      }
    }
    if (t.deliverySuccessRatio > 1) {
      throw new SettingError('alarmThresholds.deliverySuccessRatio', t.deliverySuccessRatio, 'a ratio from 0 to 1');
    }
    if (props.alarmEmail !== undefined && !EMAIL.test(props.alarmEmail)) {
      throw new SettingError('alarmEmail', props.alarmEmail, 'an email address');
    }
    this.thresholds = t;

    if (props.topic) {
      this.topic = props.topic;
    } else {
      const topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: `streamfold ${props.pipelineName} alarms`,
        masterKey: props.encryptionKey,
        enforceSSL: true,
      });
      // CloudWatch publishes alarm notifications to the encrypted topic: only for this pipeline's alarms
      // (`streamfold-<pipeline>-*`, the prefix of every alarm of the stack) in this account (confused deputy).
      const stack = Stack.of(this);
      props.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsOfThisPipeline',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: `${alarmNamePrefix(props.pipelineName)}-*`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
      this.topic = topic;
    }
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const prefix = alarmNamePrefix(props.pipelineName);
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: prefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    const facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: prefix,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.topic }),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: { period: Duration.minutes(5) },
      dashboardFactory: dashboards,
    });
    this.facade = facade;
    this.dashboard = dashboards.dashboard!;

    const period = PERIOD;

    // Ingestion.
    facade.addLargeHeader('Ingestion');
    if (props.stream) {
      facade.monitorKinesisDataStream({
        streamName: props.stream.streamName,
        alarmFriendlyName: 'Stream',
        addIteratorMaxAgeAlarm: { Critical: { maxAgeInMillis: t.streamIteratorAgeMs } },
        addReadProvisionedThroughputExceededAlarm: {
          Critical: { maxRecordsThrottledThreshold: t.provisionedThroughputExceeded },
        },
        addWriteProvisionedThroughputExceededAlarm: {
          Critical: { maxRecordsThrottledThreshold: t.provisionedThroughputExceeded },
        },
      });
    }

    // Processing.
    facade.addLargeHeader('Processing');
    facade.monitorLambdaFunction({
      lambdaFunction: props.processor,
      alarmFriendlyName: 'Processor',
      ...(props.sourceKind === 'kinesis'
        ? { addMaxIteratorAgeAlarm: { Critical: { maxAgeInMillis: t.iteratorAgeMs } } }
        : { isOffsetLag: true, addMaxOffsetLagAlarm: { Critical: { maxOffsetLag: t.offsetLag } } }),
      addFaultCountAlarm: { Critical: { maxErrorCount: t.processorErrors } },
      addThrottlesCountAlarm: { Critical: { maxErrorCount: t.processorThrottles } },
    });
    const esm = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { EventSourceMappingUUID: props.eventSourceMappingId },
        statistic: 'Sum',
        period,
      });
    facade.monitorCustom({
      alarmFriendlyName: 'EventSourceMapping',
      humanReadableName: 'Event source mapping',
      metricGroups: [
        {
          title: 'Events',
          metrics: [
            esm('PolledEventCount'),
            esm('InvokedEventCount'),
            customAlarm('EsmFailedInvokeEvents', esm('FailedInvokeEventCount'), t.failedEvents),
            customAlarm('EsmDroppedEvents', esm('DroppedEventCount'), t.failedEvents),
            esm('OnFailureDestinationDeliveredEventCount'),
          ],
        },
      ],
    });
    const queues = [
      ['Failed', props.queues.failed, t.failedQueueDepth],
      ['Rejected', props.queues.rejected, t.sideOutputQueueDepth],
      ['Late', props.queues.late, t.sideOutputQueueDepth],
    ] as const;
    for (const [name, queue, depth] of queues) {
      facade.monitorSqsQueue({
        queue,
        alarmFriendlyName: `${name}Queue`,
        humanReadableName: `${name} side output`,
        addQueueMaxSizeAlarm: { Critical: { maxMessageCount: depth } },
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: t.queueAgeSeconds } },
      });
    }

    // State.
    facade.addLargeHeader('State');
    props.tables.forEach((table, index) => {
      facade.monitorDynamoTable({
        table,
        alarmFriendlyName: index === 0 ? 'StateTable' : index === 1 ? 'DedupeTable' : `Table${index}`,
        addReadThrottledEventsCountAlarm: { Critical: { maxThrottledEventsThreshold: t.dynamoThrottles } },
        addWriteThrottledEventsCountAlarm: { Critical: { maxThrottledEventsThreshold: t.dynamoThrottles } },
        addSystemErrorCountAlarm: { Critical: { maxErrorCount: t.dynamoSystemErrors } },
      });
    });

    // Delivery.
    facade.addLargeHeader('Delivery');
    (props.deliveryStreamNames ?? []).forEach((deliveryStreamName, index) => {
      this.monitorDeliveryStream(deliveryStreamName, index === 0 ? 'Delivery' : `Delivery${index + 1}`);
    });
    for (const d of props.deliveries ?? []) {
      this.monitorDeliveryStream(d.deliveryStreamName, d.alarmFriendlyName, d.destination);
    }

    // Data quality: streamfold's own EMF metrics.
    facade.addLargeHeader('Data quality');
    const own = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSION]: props.pipelineName },
        statistic,
        period,
      });
    const rate = (label: string, id: string, metricName: string) =>
      new cloudwatch.MathExpression({
        expression: `IF(received > 0, 100 * ${id} / received, 0)`,
        usingMetrics: { [id]: own(metricName), received: own(METRICS.received) },
        label,
        period,
      });
    facade.monitorCustom({
      alarmFriendlyName: 'DataQuality',
      humanReadableName: `streamfold ${props.pipelineName} data quality`,
      metricGroups: [
        {
          title: 'Records',
          metrics: [own(METRICS.received), own(METRICS.applied), own(METRICS.stateWrites), own(METRICS.conflicts)],
        },
        {
          title: 'Late / rejected / duplicate (% of received)',
          metrics: [
            customAlarm('LateRate', rate('late %', 'late', METRICS.late), t.latePercent),
            customAlarm('RejectedRate', rate('rejected %', 'rejected', METRICS.rejected), t.rejectedPercent),
            customAlarm('DuplicateRate', rate('duplicate %', 'duplicates', METRICS.duplicates), t.duplicatePercent),
          ],
        },
        {
          title: 'Event-time lag (ms)',
          metrics: [customAlarm('EventTimeLag', own(METRICS.eventTimeLagMs, 'Maximum'), t.eventTimeLagMs)],
        },
      ],
    });
  }

  /**
   * Adds a Firehose delivery stream to the dashboard (at the current position) with a freshness alarm (the
   * destination's DataFreshness above `deliveryFreshnessSeconds`) and a success alarm (success ratio below
   * `deliverySuccessRatio`, or failed rows above 0 for Iceberg), notifying {@link topic}.
   */
  monitorDeliveryStream(
    deliveryStreamName: string,
    alarmFriendlyName: string,
    destination: FirehoseDestinationKind = 's3',
  ): void {
    const t = this.thresholds;
    const firehose = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Firehose',
        metricName,
        dimensionsMap: { DeliveryStreamName: deliveryStreamName },
        statistic,
        period: PERIOD,
      });
    const metrics = FIREHOSE_DESTINATION_METRICS[destination];
    this.facade.monitorKinesisFirehose({ deliveryStreamName, alarmFriendlyName });
    this.facade.monitorCustom({
      alarmFriendlyName: `${alarmFriendlyName}Health`,
      humanReadableName: `${deliveryStreamName} freshness and success (${destination})`,
      metricGroups: [
        {
          title: 'Data freshness (s)',
          metrics: [
            customAlarm(
              `${alarmFriendlyName}DataFreshness`,
              firehose(metrics.freshness, 'Maximum'),
              t.deliveryFreshnessSeconds,
            ),
          ],
        },
        {
          title: metrics.success.kind === 'ratio' ? 'Delivery success' : 'Failed rows',
          metrics: [
            metrics.success.kind === 'ratio'
              ? customAlarm(
                  `${alarmFriendlyName}Success`,
                  firehose(metrics.success.metric, 'Average'),
                  t.deliverySuccessRatio,
                  cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                )
              : customAlarm(`${alarmFriendlyName}FailedRows`, firehose(metrics.success.metric, 'Sum'), 0),
          ],
        },
      ],
    });
  }
}
