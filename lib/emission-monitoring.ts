import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../core/contract';
import { type Emission, SINK_DELIVERY_FAILURES_METRIC } from './emission';
import { customAlarm, type PipelineMonitoring } from './pipeline-monitoring';

type Facade = PipelineMonitoring['facade'];

/** The emission's metrics are sparse (no invocations, no failures): no data is not a breach. */
const sparse = (description: string) => ({
  alarmDescriptionOverride: description,
  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
});

/**
 * Adds the 'Emission' group to the pipeline's dashboard and its alarms, through {@link PipelineMonitoring.facade}
 * (the alarm factory, names and topic of every other alarm of the pipeline): the emitter (errors, and its DynamoDB
 * stream iterator age above `emitterIteratorAgeMs`) and the closer (errors), the emitter's event source mapping,
 * sink delivery failures and failed queue (any), the status of those alarms, and the results Firehose with freshness
 * and success alarms.
 */
export function monitorEmission(monitoring: PipelineMonitoring, emission: Emission, pipelineName: string): void {
  const { facade, thresholds } = monitoring;
  facade.addLargeHeader('Emission');
  // Filled below, once the facade has created them (the widget reads its alarms when the dashboard is rendered).
  const emissionAlarms: cloudwatch.IAlarm[] = [];
  facade.addWidget(
    new cloudwatch.AlarmStatusWidget({
      title: 'Emitter and closer alarms',
      alarms: emissionAlarms,
      width: 24,
      height: 3,
    }),
  );
  const before = new Set(facade.createdAlarms().map((a) => a.alarm));
  monitorFunctions(facade, emission, pipelineName, thresholds.emitterIteratorAgeMs);
  monitorDelivery(facade, emission, pipelineName);
  emissionAlarms.push(...facade.createdAlarms().flatMap((a) => (before.has(a.alarm) ? [] : [a.alarm])));
  if (emission.resultsDeliveryStreamName) {
    monitoring.monitorDeliveryStream(emission.resultsDeliveryStreamName, 'ResultsDelivery');
  }
}

/** The emitter (errors, stream iterator age) and the closer (errors). */
function monitorFunctions(facade: Facade, emission: Emission, pipelineName: string, iteratorAgeMs: number): void {
  facade.monitorLambdaFunction({
    lambdaFunction: emission.emitter,
    alarmFriendlyName: 'Emitter',
    humanReadableName: 'Emitter (state table stream → alerts and results)',
    isIterator: true,
    addFaultCountAlarm: {
      Critical: { maxErrorCount: 0, ...sparse(`Emitter of ${pipelineName} failed invocations`) },
    },
    addMaxIteratorAgeAlarm: {
      Critical: {
        maxAgeInMillis: iteratorAgeMs,
        ...sparse(`Emitter of ${pipelineName} is behind the state table's DynamoDB stream`),
      },
    },
  });
  facade.monitorLambdaFunction({
    lambdaFunction: emission.closer,
    alarmFriendlyName: 'Closer',
    humanReadableName: 'Closer (finalizes windows when traffic stops)',
    addFaultCountAlarm: { Critical: { maxErrorCount: 0, ...sparse(`Closer of ${pipelineName} failed runs`) } },
  });
}

/** The emitter's event source mapping, its sink delivery failures and its failed queue (any is an alarm). */
function monitorDelivery(facade: Facade, emission: Emission, pipelineName: string): void {
  const esm = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { EventSourceMappingUUID: emission.eventSourceMappingId },
      statistic: 'Sum',
    });
  const failures = new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: SINK_DELIVERY_FAILURES_METRIC,
    dimensionsMap: { [METRIC_DIMENSION]: pipelineName },
    statistic: 'Sum',
  });
  const anyOf = (name: string, metric: cloudwatch.Metric, description: string) =>
    customAlarm(name, metric, 0, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, sparse(description));
  facade.monitorCustom({
    alarmFriendlyName: 'EmitterDelivery',
    humanReadableName: 'Emitter event source mapping and sinks',
    metricGroups: [
      {
        title: 'Stream records',
        metrics: [
          'PolledEventCount',
          'FilteredOutEventCount',
          'InvokedEventCount',
          'FailedInvokeEventCount',
          'OnFailureDestinationDeliveredEventCount',
        ].map(esm),
      },
      {
        title: 'Sink delivery failures',
        metrics: [
          anyOf(
            'SinkDeliveryFailures',
            failures,
            `Sink deliveries of ${pipelineName} failed after retries (spilled to undelivered/ for re-delivery by ` +
              'the closer; without a spill bucket, stream records retried, then parked in the failed queue)',
          ),
        ],
      },
      {
        title: 'Failed queue (visible)',
        metrics: [
          anyOf(
            'EmitterFailedRecords',
            emission.failedQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
            `Stream records of ${pipelineName} the emitter gave up on (in the failed queue)`,
          ),
        ],
      },
    ],
  });
}
