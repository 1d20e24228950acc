import { DEFAULT_EVENT_TYPE_FIELD, errorsPrefix, partitionOf, rawEventsPrefix } from './layout';
import { ObjectBuffers } from './object-buffers';

/** A raw stream record as the delivery receives it. */
export interface DeliveryRecord {
  /** The record's bytes. */
  data: Uint8Array;
  /** Kinesis ApproximateArrivalTimestamp, epoch ms. */
  arrivalMs: number;
}

/** Options of {@link LocalDelivery}. */
export interface LocalDeliveryOptions {
  /** Warehouse root folder (the "bucket"), e.g. `.streamfold/warehouse`. */
  dir: string;
  /** Delivery stream name (object names start with it). */
  deliveryStreamName: string;
  /** A partition's buffer is written at least this often. @default 60000 (the CDK default, 60 s) */
  bufferingIntervalMs?: number;
  /** ...or when it holds this many bytes. @default 64 MiB (the CDK default) */
  bufferingBytes?: number;
  /** The field partitioning raw events (`event_type=`), or false for date and hour only. @default 'type' */
  eventTypeField?: string | false;
  /**
   * The values of `eventTypeField` with a partition of their own (the schema's enum); any other value is `other`.
   * @default [] - every event lands in `event_type=other`
   */
  eventTypes?: readonly string[];
  /** @default Date.now */
  now?: () => number;
}

/** What a delivery has done. */
export interface DeliveryCounters {
  /** Records accepted by `put`. */
  received: number;
  /** Records written into `raw/` objects. */
  delivered: number;
  /** Records written into `errors/` objects. */
  failed: number;
  /** Objects written. */
  objects: number;
  /** Records buffered now. */
  buffered: number;
}

/**
 * Firehose-like delivery of the RAW stream into a local folder (the CDK's raw-event delivery, for forensics): records
 * are buffered per dynamic partition (event type bounded by the schema's enum, or the error prefix), and written as
 * gzip JSON-lines objects under `raw/event_type=/dt=/hour=/` (arrival time) or `errors/partitioning-failed/...`.
 */
export class LocalDelivery {
  readonly #buffers: ObjectBuffers;
  readonly #field: string | false;
  readonly #types: readonly string[];
  readonly #now: () => number;
  #received = 0;

  constructor(options: LocalDeliveryOptions) {
    this.#buffers = new ObjectBuffers(options);
    this.#field = options.eventTypeField ?? DEFAULT_EVENT_TYPE_FIELD;
    this.#types = options.eventTypes ?? [];
    this.#now = options.now ?? Date.now;
  }

  /** Buffer records; writes the partitions that became full or old enough. */
  async put(records: readonly DeliveryRecord[]): Promise<void> {
    const now = this.#now();
    for (const record of records) {
      this.#received++;
      const text = Buffer.from(record.data).toString('utf8');
      // Without partitioning by type Firehose runs no query: every record is delivered as it is.
      const partition =
        this.#field === false
          ? ({ ok: true, eventType: undefined } as const)
          : partitionOf(record.data, this.#field, this.#types);
      if (partition.ok) {
        const eventType = partition.eventType;
        this.#buffers.add(
          `e:${eventType ?? ''}`,
          text.replace(/\n+$/, ''),
          record.arrivalMs,
          (oldest) => rawEventsPrefix(eventType, oldest),
          'delivered',
        );
      } else {
        const line = JSON.stringify({
          attemptsMade: 1,
          arrivalTimestamp: record.arrivalMs,
          errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
          errorMessage: partition.message,
          attemptEndingTimestamp: now,
          rawData: Buffer.from(record.data).toString('base64'),
        });
        this.#buffers.add('errors', line, record.arrivalMs, errorsPrefix, 'failed');
      }
    }
    await this.#buffers.flush(false);
  }

  /** Write the partitions whose buffering interval has passed (call it every second or so). */
  async tick(): Promise<void> {
    await this.#buffers.flush(false);
  }

  /** Write every buffered partition now (end of a run). */
  async flush(): Promise<void> {
    await this.#buffers.flush(true);
  }

  /** A snapshot of the counters. */
  counters(): DeliveryCounters {
    return {
      received: this.#received,
      delivered: this.#buffers.written('delivered'),
      failed: this.#buffers.written('failed'),
      objects: this.#buffers.objects(),
      buffered: this.#buffers.buffered(),
    };
  }
}
