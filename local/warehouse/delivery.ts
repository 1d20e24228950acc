import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WarehouseSettingError } from './errors';
import {
  DEFAULT_BUFFERING_BYTES,
  DEFAULT_BUFFERING_INTERVAL_MS,
  DEFAULT_EVENT_TYPE_FIELD,
  errorsPrefix,
  eventsPrefix,
  objectName,
  partitionOf,
} from './layout';

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
  /** @default 'type' */
  eventTypeField?: string;
  /** @default Date.now */
  now?: () => number;
}

/** What a delivery has done. */
export interface DeliveryCounters {
  /** Records accepted by `put`. */
  received: number;
  /** Records written into `events/` objects. */
  delivered: number;
  /** Records written into `errors/` objects. */
  failed: number;
  /** Objects written. */
  objects: number;
  /** Records buffered now. */
  buffered: number;
}

interface PartitionBuffer {
  lines: string[];
  bytes: number;
  oldestArrivalMs: number;
  openedAt: number;
  /** The partition's event type; undefined for the error partition. */
  eventType: string | undefined;
}

/**
 * Firehose-like delivery into a local folder: records are buffered per dynamic partition (event type, or the error
 * prefix), and a partition's buffer is written as ONE gzip JSON-lines object when it is older than the buffering
 * interval or larger than the buffering size, or on `flush()`. Objects are written to a temporary name and renamed,
 * so readers never see half an object.
 */
export class LocalDelivery {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private readonly counts = { received: 0, delivered: 0, failed: 0, objects: 0 };
  private readonly intervalMs: number;
  private readonly maxBytes: number;
  private readonly field: string;
  private readonly now: () => number;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: LocalDeliveryOptions) {
    this.intervalMs = options.bufferingIntervalMs ?? DEFAULT_BUFFERING_INTERVAL_MS;
    this.maxBytes = options.bufferingBytes ?? DEFAULT_BUFFERING_BYTES;
    this.field = options.eventTypeField ?? DEFAULT_EVENT_TYPE_FIELD;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 0 || this.intervalMs > 900_000) {
      throw new WarehouseSettingError('bufferingIntervalMs', this.intervalMs, 'an integer from 0 to 900,000 ms');
    }
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) {
      throw new WarehouseSettingError('bufferingBytes', this.maxBytes, 'a positive integer');
    }
  }

  /** Buffer records; writes the partitions that became full or old enough. */
  async put(records: readonly DeliveryRecord[]): Promise<void> {
    const now = this.now();
    for (const record of records) {
      this.counts.received++;
      const partition = partitionOf(record.data, this.field);
      let line: string;
      let key: string;
      if (partition.ok) {
        key = `e:${partition.eventType}`;
        line = Buffer.from(record.data).toString('utf8').replace(/\n+$/, '');
      } else {
        key = 'errors';
        line = JSON.stringify({
          attemptsMade: 1,
          arrivalTimestamp: record.arrivalMs,
          errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
          errorMessage: partition.message,
          attemptEndingTimestamp: now,
          rawData: Buffer.from(record.data).toString('base64'),
        });
      }
      const buffer = this.buffers.get(key) ?? {
        lines: [],
        bytes: 0,
        oldestArrivalMs: record.arrivalMs,
        openedAt: now,
        eventType: partition.ok ? partition.eventType : undefined,
      };
      buffer.lines.push(line);
      buffer.bytes += Buffer.byteLength(line) + 1;
      buffer.oldestArrivalMs = Math.min(buffer.oldestArrivalMs, record.arrivalMs);
      this.buffers.set(key, buffer);
    }
    await this.flushDue(false);
  }

  /** Write the partitions whose buffering interval has passed (call it every second or so). */
  async tick(): Promise<void> {
    await this.flushDue(false);
  }

  /** Write every buffered partition now (end of a run). */
  async flush(): Promise<void> {
    await this.flushDue(true);
  }

  /** A snapshot of the counters. */
  counters(): DeliveryCounters {
    let buffered = 0;
    for (const buffer of this.buffers.values()) buffered += buffer.lines.length;
    return { ...this.counts, buffered };
  }

  private flushDue(all: boolean): Promise<void> {
    const now = this.now();
    const due: PartitionBuffer[] = [];
    for (const [key, buffer] of this.buffers) {
      if (all || buffer.bytes >= this.maxBytes || now - buffer.openedAt >= this.intervalMs) {
        this.buffers.delete(key);
        due.push(buffer);
      }
    }
    const next = this.writing.then(async () => {
      for (const buffer of due) await this.writeObject(buffer, now);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeObject(buffer: PartitionBuffer, now: number): Promise<void> {
    if (buffer.lines.length === 0) return;
    const prefix =
      buffer.eventType === undefined
        ? errorsPrefix(buffer.oldestArrivalMs)
        : eventsPrefix(buffer.eventType, buffer.oldestArrivalMs);
    const path = join(this.options.dir, prefix, objectName(this.options.deliveryStreamName, now, randomUUID()));
    await mkdir(dirname(path), { recursive: true });
    const body = gzipSync(Buffer.from(`${buffer.lines.join('\n')}\n`));
    await writeFile(`${path}.tmp`, body);
    await rename(`${path}.tmp`, path);
    this.counts.objects++;
    if (buffer.eventType === undefined) this.counts.failed += buffer.lines.length;
    else this.counts.delivered += buffer.lines.length;
  }
}
