import { type SideOutputSink, SQS_BATCH_ENTRIES, sideOutputBody } from '../../lambdas/side-output/index';
import {
  type CleanEventsSink,
  cleanLineBytes,
  FIREHOSE_MAX_RECORDS,
  type Sink,
  warehouseRow,
} from '../../lambdas/sinks/index';
import type { CostMeter } from './meter';

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** SQS message attributes of a side-output message (`streamfold-id`, `-kind`, `-pipeline`: names, types, values). */
const SIDE_OUTPUT_ATTRIBUTE_BYTES = 160;
/** SNS message attributes of an alert (`id`, `kind`, `alert`). */
const ALERT_ATTRIBUTE_BYTES = 120;
/** Messages per SNS PublishBatch (the SNS limit, which the SNS sink uses). */
const SNS_BATCH_ENTRIES = 10;

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The local stand-ins of cloud services, metered as the cloud would bill what they receive (the local runtime writes
 * files where the deployed pipeline calls Firehose, SQS and SNS). The bench meters the cloud sinks' own SDK calls
 * instead (./metered-clients.ts); both feed the same {@link CostMeter}.
 */

/** A clean-events sink billed as the deployed Firehose Direct PUT stream(s) (one record per row, 500 per call). */
export function meteredCleanEvents(
  meter: CostMeter,
  component: string,
  sink: CleanEventsSink,
  deliveryStreams: readonly string[],
): CleanEventsSink {
  return {
    name: sink.name,
    async send(records) {
      const outcome = await sink.send(records);
      const failed = new Set(outcome.failedIds);
      const sizes = records.filter((r) => !failed.has(r.id)).map((r) => cleanLineBytes(r.row));
      for (const stream of deliveryStreams) {
        meter.firehosePut(component, stream, sizes, Math.ceil(records.length / FIREHOSE_MAX_RECORDS));
      }
      return outcome;
    },
  };
}

/** A side-output sink billed as the deployed SQS queue (SendMessageBatch of 10). */
export function meteredSideOutput(
  meter: CostMeter,
  component: string,
  sink: SideOutputSink,
  queue: string,
): SideOutputSink {
  return {
    name: sink.name,
    async send(messages) {
      const outcome = await sink.send(messages);
      for (const batch of chunked(messages, SQS_BATCH_ENTRIES)) {
        meter.sqsCall(
          component,
          queue,
          batch.map((m) => utf8(sideOutputBody(m)) + SIDE_OUTPUT_ATTRIBUTE_BYTES),
        );
      }
      return outcome;
    },
  };
}

/** An emitter sink billed as the deployed alerts topic (SNS PublishBatch of 10). */
export function meteredAlertsTopic(meter: CostMeter, component: string, sink: Sink, topic: string): Sink {
  return {
    name: sink.name,
    kinds: sink.kinds,
    async send(messages) {
      const outcome = await sink.send(messages);
      for (const batch of chunked(messages, SNS_BATCH_ENTRIES)) {
        meter.snsCall(
          component,
          topic,
          batch.map((m) => utf8(JSON.stringify(m)) + ALERT_ATTRIBUTE_BYTES),
        );
      }
      return outcome;
    },
  };
}

/** An emitter sink billed as the deployed results Firehose (one JSON line per result, 500 per call). */
export function meteredResultsStream(meter: CostMeter, component: string, sink: Sink, stream: string): Sink {
  return {
    name: sink.name,
    kinds: sink.kinds,
    async send(messages) {
      const outcome = await sink.send(messages);
      const failed = new Set(outcome.failed.map((f) => f.id));
      const sizes = messages.filter((m) => !failed.has(m.id)).map((m) => utf8(`${JSON.stringify(warehouseRow(m))}\n`));
      meter.firehosePut(component, stream, sizes, Math.ceil(messages.length / FIREHOSE_MAX_RECORDS));
      return outcome;
    },
  };
}
