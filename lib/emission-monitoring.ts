import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../core/contract';
import { type Emission, SINK_DELIVERY_FAILURES_METRIC } from './emission';
import type { PipelineMonitoring } from './pipeline-monitoring';

/**
 * Adds the 'Emission' group to the pipeline's dashboard (through {@link PipelineMonitoring.facade}): the emitter
 * (with its DynamoDB stream iterator age) and the closer, the emitter's event source mapping and sink delivery
 * failures, the status of the emission alarms, and the results Firehose with freshness and success alarms (those
 * notify the monitoring topic). The emitter and closer alarms themselves belong to {@link Emission}: wire them to
 * the same topic with its `alarmTopic` prop.
 */
export function monitorEmission(monitoring: PipelineMonitoring, emission: Emission, pipelineName: string): void {
  const { facade } = monitoring;
  facade.addLargeHeader('Emission');
  facade.addWidget(
    new cloudwatch.AlarmStatusWidget({
      title: 'Emitter and closer alarms',
      alarms: emission.alarms,
      width: 24,
      height: 3,
    }),
  );
  facade.monitorLambdaFunction({
    lambdaFunction: emission.emitter,
    alarmFriendlyName: 'Emitter',
    humanReadableName: 'Emitter (state table stream → alerts and results)',
    isIterator: true,
  });
  facade.monitorLambdaFunction({
    lambdaFunction: emission.closer,
    alarmFriendlyName: 'Closer',
    humanReadableName: 'Closer (finalizes windows when traffic stops)',
  });
  const esm = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { EventSourceMappingUUID: emission.eventSourceMappingId },
      statistic: 'Sum',
    });
  facade.monitorCustom({
    alarmFriendlyName: 'EmitterDelivery',
    humanReadableName: 'Emitter event source mapping and sinks',
    metricGroups: [
      {
        title: 'Stream records',
        metrics: [
          esm('PolledEventCount'),
          esm('FilteredOutEventCount'),
          esm('InvokedEventCount'),
          esm('FailedInvokeEventCount'),
          esm('OnFailureDestinationDeliveredEventCount'),
        ],
      },
      {
        title: 'Sink delivery failures',
        metrics: [
          new cloudwatch.Metric({
            namespace: METRIC_NAMESPACE,
            metricName: SINK_DELIVERY_FAILURES_METRIC,
            dimensionsMap: { [METRIC_DIMENSION]: pipelineName },
            statistic: 'Sum',
          }),
        ],
      },
      {
        title: 'Failed queue (visible)',
        metrics: [emission.failedQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
      },
    ],
  });
  if (emission.resultsDeliveryStreamName) {
    monitoring.monitorDeliveryStream(emission.resultsDeliveryStreamName, 'ResultsDelivery');
  }
}
