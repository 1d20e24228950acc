import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { UNDELIVERED_PREFIX } from '../../core/contract';
import type { EmitMessage } from '../sinks/messages';
import { SpillFormatError } from './errors';

/**
 * Where the emitter keeps messages a sink did not accept after its retries, until they are re-delivered
 * ({@link redeliverSpilled}): objects of JSON lines under {@link UNDELIVERED_PREFIX}. In the cloud the data lake
 * bucket ({@link S3SpillStore}); locally a folder (`FolderSpillStore` of local/runtime).
 */
export interface SpillStore {
  /** Write an object (replacing it when it exists). Resolves once it is durable. */
  put(key: string, body: string): Promise<void>;
  /** Keys of the objects under `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  /** An object's body; undefined when it does not exist (any more). */
  get(key: string): Promise<string | undefined>;
  /** Delete an object (no error when it does not exist). */
  delete(key: string): Promise<void>;
}

/** Requests made to a {@link SpillStore}, per operation (S3 bills PUT/LIST and GET requests). */
export interface SpillRequests {
  put: number;
  list: number;
  get: number;
  delete: number;
}

/** A {@link SpillStore} that counts its requests (for cost metering): {@link MeteredSpillStore.takeRequests}. */
export class MeteredSpillStore implements SpillStore {
  readonly #store: SpillStore;
  #counts: SpillRequests = { put: 0, list: 0, get: 0, delete: 0 };

  constructor(store: SpillStore) {
    this.#store = store;
  }

  /** Requests since the last call (then reset). */
  takeRequests(): SpillRequests {
    const counts = this.#counts;
    this.#counts = { put: 0, list: 0, get: 0, delete: 0 };
    return counts;
  }

  put(key: string, body: string): Promise<void> {
    this.#counts.put++;
    return this.#store.put(key, body);
  }

  list(prefix: string): Promise<string[]> {
    // Counted per page would be exact on S3 (1,000 keys a page); one per call is what a small spill costs.
    this.#counts.list++;
    return this.#store.list(prefix);
  }

  get(key: string): Promise<string | undefined> {
    this.#counts.get++;
    return this.#store.get(key);
  }

  delete(key: string): Promise<void> {
    this.#counts.delete++;
    return this.#store.delete(key);
  }
}

/** Key prefix of spilled messages (defined once, in core/contract.ts). */
export { UNDELIVERED_PREFIX };

/** Sink names usable in spill keys (and marker keys): letters, digits, `_`, `.`, `-`. */
export const SINK_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Key of a new spill object of `sink` at `now` (epoch ms): `undelivered/<sink>/<yyyy-mm-dd>/<yyyymmddThhmmssmmmZ>-<uuid>.jsonl`,
 * so a listing returns a sink's objects oldest first.
 */
export function spillKey(sink: string, now: number, unique: string = randomUUID()): string {
  const iso = new Date(now).toISOString();
  const compact = iso.replace(/[-:.]/g, '');
  return `${UNDELIVERED_PREFIX}${sink}/${iso.slice(0, 10)}/${compact}-${unique}.jsonl`;
}

/** The sink a spill key belongs to (undefined for a key that is not one). */
export function sinkOfSpillKey(key: string): string | undefined {
  if (!key.startsWith(UNDELIVERED_PREFIX)) return undefined;
  const [sink, day, name] = key.slice(UNDELIVERED_PREFIX.length).split('/');
  return sink && day && name?.endsWith('.jsonl') ? sink : undefined;
}

/** The body of a spill object: one message (exactly as the sink would get it) a line. */
export function spillBody(messages: readonly EmitMessage[]): string {
  return messages.map((m) => `${JSON.stringify(m)}\n`).join('');
}

/**
 * The messages of a spill object.
 * @throws SpillFormatError when a line is not a message (never written by the emitter: left for an operator).
 */
export function readSpillBody(key: string, body: string): EmitMessage[] {
  const out: EmitMessage[] = [];
  for (const [i, line] of body.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SpillFormatError(key, i + 1, 'not JSON', { cause: error });
    }
    const m = value as Partial<EmitMessage> | null;
    if (!m || typeof m !== 'object' || (m.kind !== 'alert' && m.kind !== 'result') || typeof m.id !== 'string') {
      throw new SpillFormatError(key, i + 1, 'not an alert or result message');
    }
    out.push(m as EmitMessage);
  }
  return out;
}

/** Options of {@link S3SpillStore}. */
export interface S3SpillStoreOptions {
  readonly client: Pick<S3Client, 'send'>;
  /** The bucket (the data lake bucket in the CDK app). */
  readonly bucket: string;
}

/** A {@link SpillStore} on S3 (PutObject, ListObjectsV2, GetObject, DeleteObject under the given keys). */
export class S3SpillStore implements SpillStore {
  readonly #o: S3SpillStoreOptions;

  constructor(options: S3SpillStoreOptions) {
    this.#o = options;
  }

  async put(key: string, body: string): Promise<void> {
    await this.#o.client.send(
      new PutObjectCommand({ Bucket: this.#o.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }),
    );
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#o.client.send(
        new ListObjectsV2Command({ Bucket: this.#o.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const out = await this.#o.client.send(new GetObjectCommand({ Bucket: this.#o.bucket, Key: key }));
      return (await out.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if ((error as Error)?.name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#o.client.send(new DeleteObjectCommand({ Bucket: this.#o.bucket, Key: key }));
  }
}
