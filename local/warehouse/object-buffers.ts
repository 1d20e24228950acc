import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SettingError } from '../../core/errors';
import { DEFAULT_BUFFERING_BYTES, DEFAULT_BUFFERING_INTERVAL_MS, objectName } from './layout';

/** Options of {@link ObjectBuffers}. */
export interface ObjectBuffersOptions {
  /** Warehouse root folder (the "bucket"), e.g. `.streamfold/warehouse`. */
  readonly dir: string;
  /** Delivery stream name (object names start with it). */
  readonly deliveryStreamName: string;
  /** A buffer is written at least this often. @default 60000 (the CDK default, 60 s) */
  readonly bufferingIntervalMs?: number;
  /** ...or when it holds this many bytes. @default 64 MiB (the CDK default) */
  readonly bufferingBytes?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Buffer_ {
  key: string;
  lines: string[];
  bytes: number;
  oldestArrivalMs: number;
  openedAt: number;
  prefixOf: (oldestArrivalMs: number) => string;
  tag: string;
}

/**
 * Firehose-like buffering into a local folder, shared by the local deliveries: lines are buffered per partition key,
 * and a partition's buffer is written as ONE gzip JSON-lines object (`<prefix><stream>-1-<time>-<uuid>.gz`) when it
 * is older than the buffering interval, larger than the buffering size, or on `flush(true)`. Objects are written
 * under a temporary name and renamed, so readers never see half an object; writes are serialized.
 */
export class ObjectBuffers {
  readonly #buffers = new Map<string, Buffer_>();
  readonly #written = new Map<string, number>();
  readonly #o: ObjectBuffersOptions;
  readonly #intervalMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #objects = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: ObjectBuffersOptions) {
    this.#o = options;
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

  /**
   * Buffer a line under a partition `key`. `prefixOf` gives the object's folder (relative to the root) from the
   * arrival time of the buffer's oldest line; `tag` groups the written-line counts (e.g. delivered vs failed).
   */
  add(key: string, line: string, arrivalMs: number, prefixOf: (oldestArrivalMs: number) => string, tag: string): void {
    let buffer = this.#buffers.get(key);
    if (!buffer) {
      buffer = { key, lines: [], bytes: 0, oldestArrivalMs: arrivalMs, openedAt: this.#now(), prefixOf, tag };
      this.#buffers.set(key, buffer);
    }
    buffer.lines.push(line);
    buffer.bytes += Buffer.byteLength(line) + 1;
    buffer.oldestArrivalMs = Math.min(buffer.oldestArrivalMs, arrivalMs);
  }

  /** Write the buffers that are full or old enough (or all of them), in order. A failed write keeps its lines. */
  flush(all: boolean): Promise<void> {
    const now = this.#now();
    const due: Buffer_[] = [];
    for (const [key, buffer] of this.#buffers) {
      if (all || buffer.bytes >= this.#maxBytes || now - buffer.openedAt >= this.#intervalMs) {
        this.#buffers.delete(key);
        due.push(buffer);
      }
    }
    const next = this.#writing.then(async () => {
      for (const [i, buffer] of due.entries()) {
        try {
          await this.#write(buffer, now);
        } catch (error) {
          // Keep what was not written (Firehose retries its S3 delivery): the next flush tries again.
          for (const rest of due.slice(i)) this.#restore(rest);
          throw error;
        }
      }
    });
    this.#writing = next.catch(() => undefined);
    return next;
  }

  /** Lines buffered now. */
  buffered(): number {
    let n = 0;
    for (const buffer of this.#buffers.values()) n += buffer.lines.length;
    return n;
  }

  /** Objects written so far. */
  objects(): number {
    return this.#objects;
  }

  /** Lines written so far with this tag. */
  written(tag: string): number {
    return this.#written.get(tag) ?? 0;
  }

  #restore(buffer: Buffer_): void {
    const current = this.#buffers.get(buffer.key);
    if (!current) {
      this.#buffers.set(buffer.key, buffer);
      return;
    }
    current.lines.unshift(...buffer.lines);
    current.bytes += buffer.bytes;
    current.oldestArrivalMs = Math.min(current.oldestArrivalMs, buffer.oldestArrivalMs);
    current.openedAt = Math.min(current.openedAt, buffer.openedAt);
  }

  async #write(buffer: Buffer_, now: number): Promise<void> {
    if (buffer.lines.length === 0) return;
    const path = join(
      this.#o.dir,
      buffer.prefixOf(buffer.oldestArrivalMs),
      objectName(this.#o.deliveryStreamName, now, randomUUID()),
    );
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, gzipSync(Buffer.from(`${buffer.lines.join('\n')}\n`)));
    await rename(`${path}.tmp`, path);
    this.#objects++;
    this.#written.set(buffer.tag, this.written(buffer.tag) + buffer.lines.length);
  }
}
