import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SettingError } from '../../core/errors';
import type { EmitMessage, MessageKind, Sink, SinkOutcome } from '../../lambdas/sinks/index';
import { warehouseRow } from '../../lambdas/sinks/index';
import { aggregatesPrefix, DEFAULT_BUFFERING_BYTES, DEFAULT_BUFFERING_INTERVAL_MS, objectName } from './layout';

/** Options of {@link LocalResultsSink}. */
export interface LocalResultsSinkOptions {
  /** Warehouse root folder (the "bucket"), e.g. `.streamfold/warehouse`. */
  readonly dir: string;
  /** Results delivery stream name (object names start with it), e.g. `clickstream-aggregates`. */
  readonly deliveryStreamName: string;
  /** The buffer is written at least this often. @default 60000 (the CDK default, 60 s) */
  readonly bufferingIntervalMs?: number;
  /** ...or when it holds this many bytes. @default 64 MiB (the CDK default) */
  readonly bufferingBytes?: number;
  /** Sink name (part of the emitter's delivery-marker keys). @default 'warehouse' */
  readonly name?: string;
  /** Receives object write errors (the rows stay buffered and are written on the next tick). */
  readonly onError?: (error: unknown) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What a {@link LocalResultsSink} has done. */
export interface LocalResultsCounters {
  /** Rows accepted by `send`. */
  received: number;
  /** Rows written into `aggregates/` objects. */
  delivered: number;
  /** Objects written. */
  objects: number;
  /** Rows buffered now. */
  buffered: number;
}

/**
 * The local stand-in for the emitter's results Firehose ({@link FirehoseSink} in the cloud): final window results as
 * the SAME rows ({@link warehouseRow}) in GZIP JSON-lines objects under `aggregates/dt=<yyyy-MM-dd>/` of the local
 * warehouse, buffered like the delivery stream (one buffer, written when older than the buffering interval, larger
 * than the buffering size, or on `flush()`; the prefix uses the arrival time of the oldest row). Like a PutRecordBatch
 * that succeeded, `send` only buffers: call `tick()` every second or so and `flush()` at the end. Objects are written
 * under a temporary name and renamed, so readers never see half an object.
 */
export class LocalResultsSink implements Sink {
  readonly name: string;
  readonly kinds: readonly MessageKind[] = ['result'];
  readonly #o: LocalResultsSinkOptions;
  readonly #intervalMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #lines: string[] = [];
  #bytes = 0;
  #oldestArrivalMs = 0;
  #openedAt = 0;
  #writing: Promise<void> = Promise.resolve();
  readonly #counts = { received: 0, delivered: 0, objects: 0 };

  constructor(options: LocalResultsSinkOptions) {
    this.#o = options;
    this.name = options.name ?? 'warehouse';
    this.#intervalMs = options.bufferingIntervalMs ?? DEFAULT_BUFFERING_INTERVAL_MS;
    this.#maxBytes = options.bufferingBytes ?? DEFAULT_BUFFERING_BYTES;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#intervalMs) || this.#intervalMs < 0 || this.#intervalMs > 900_000) {
      throw new SettingError('bufferingIntervalMs', this.#intervalMs, 'an integer from 0 to 900,000 ms');
    }
    if (!Number.isInteger(this.#maxBytes) || this.#maxBytes < 1) {
      throw new SettingError('bufferingBytes', this.#maxBytes, 'a positive integer');
    }
  }

  /** Buffer the results' rows (other kinds are ignored); writes the buffer when it became full or old enough. */
  async send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    const now = this.#now();
    for (const message of messages) {
      if (message.kind !== 'result') continue;
      this.#add([JSON.stringify(warehouseRow(message))], now);
      this.#counts.received++;
    }
    // A failed write keeps the rows buffered (Firehose retries its S3 delivery): the send itself succeeded.
    await this.#flushDue(false).catch((error) => this.#o.onError?.(error));
    return { failed: [], retries: 0 };
  }

  /** Write the buffer when its buffering interval has passed. */
  async tick(): Promise<void> {
    await this.#flushDue(false);
  }

  /** Write whatever is buffered now (end of a run). */
  async flush(): Promise<void> {
    await this.#flushDue(true);
  }

  /** A snapshot of the counters. */
  counters(): LocalResultsCounters {
    return { ...this.#counts, buffered: this.#lines.length };
  }

  #add(lines: readonly string[], arrivalMs: number): void {
    if (this.#lines.length === 0) {
      this.#oldestArrivalMs = arrivalMs;
      this.#openedAt = this.#now();
    }
    for (const line of lines) {
      this.#lines.push(line);
      this.#bytes += Buffer.byteLength(line) + 1;
    }
    this.#oldestArrivalMs = Math.min(this.#oldestArrivalMs, arrivalMs);
  }

  #flushDue(all: boolean): Promise<void> {
    const now = this.#now();
    const due =
      this.#lines.length > 0 && (all || this.#bytes >= this.#maxBytes || now - this.#openedAt >= this.#intervalMs);
    const lines = due ? this.#lines : [];
    const oldest = this.#oldestArrivalMs;
    if (due) {
      this.#lines = [];
      this.#bytes = 0;
    }
    const next = this.#writing.then(async () => {
      if (lines.length === 0) return;
      try {
        await this.#writeObject(lines, oldest, now);
      } catch (error) {
        this.#add(lines, oldest);
        throw error;
      }
    });
    this.#writing = next.catch(() => undefined);
    return next;
  }

  async #writeObject(lines: readonly string[], oldestArrivalMs: number, now: number): Promise<void> {
    const path = join(
      this.#o.dir,
      aggregatesPrefix(oldestArrivalMs),
      objectName(this.#o.deliveryStreamName, now, randomUUID()),
    );
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, gzipSync(Buffer.from(`${lines.join('\n')}\n`)));
    await rename(`${path}.tmp`, path);
    this.#counts.objects++;
    this.#counts.delivered += lines.length;
  }
}
