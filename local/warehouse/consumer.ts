import type { KinesisStreamEvent } from 'aws-lambda';
import { EventSourceMapping, type KinesisSendClient, type StartingPosition } from '../esm/index';
import { type DeliveryCounters, LocalDelivery, type LocalDeliveryOptions } from './delivery';

/** Options of {@link startWarehouseDelivery}. */
export interface WarehouseDeliveryOptions extends LocalDeliveryOptions {
  /** Kinesis client (kinesis-mock needs `requestHandler: new NodeHttpHandler()`). */
  client: KinesisSendClient;
  /** The raw stream. */
  streamName: string;
  /** @default 'TRIM_HORIZON' */
  startingPosition?: StartingPosition;
  /** GetRecords wait on a caught-up shard. @default 1000 */
  pollIntervalMs?: number;
  /** Receives poll errors that are retried. */
  onError?: (error: unknown, where: string) => void;
}

/** A running warehouse delivery. */
export interface WarehouseDelivery {
  readonly delivery: LocalDelivery;
  readonly mapping: EventSourceMapping;
  /** Delivery counters. */
  counters(): DeliveryCounters;
  /** Wait until every record written so far is buffered (not yet written: call `stop()` or wait for the interval). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stop reading, write every buffered partition and stop the timer. */
  stop(): Promise<void>;
}

/**
 * Deliver a stream's raw records into the local warehouse like the CDK's Firehose delivery stream does: a second,
 * independent consumer of the stream (Firehose reads a Kinesis source as its own consumer), buffering per partition
 * and writing gzip JSON-lines objects under `raw/event_type=/dt=/hour=/` (the raw copy, for forensics).
 */
export async function startWarehouseDelivery(options: WarehouseDeliveryOptions): Promise<WarehouseDelivery> {
  const delivery = new LocalDelivery(options);
  const mapping = new EventSourceMapping({
    client: options.client,
    streamName: options.streamName,
    startingPosition: options.startingPosition ?? 'TRIM_HORIZON',
    batchSize: 10_000,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    functionName: options.deliveryStreamName,
    onError: options.onError,
    handler: async (event: KinesisStreamEvent) => {
      await delivery.put(
        event.Records.map((r) => ({
          data: Buffer.from(r.kinesis.data, 'base64'),
          arrivalMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1000),
        })),
      );
    },
  });
  await mapping.start();
  const timer = setInterval(() => {
    delivery.tick().catch((error) => options.onError?.(error, 'warehouse write'));
  }, 1000);
  timer.unref();
  let stopped = false;
  return {
    delivery,
    mapping,
    counters: () => delivery.counters(),
    drain: (timeoutMs = 30_000) => mapping.drain({ timeoutMs }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await mapping.stop();
      await delivery.flush();
    },
  };
}
