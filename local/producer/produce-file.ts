import { MAX_RECORD_BYTES } from '../../core';
import { jsonLines } from '../files/json-lines';
import { createProducer, type ProducerCounters, type ProducerOptions, type PutRecordsClient } from './producer';

/** Options of {@link produceFile}. */
export interface ProduceFileOptions
  extends Omit<ProducerOptions<Buffer>, 'client' | 'streamName' | 'partitionKey' | 'serialize'> {
  client: PutRecordsClient;
  streamName: string;
  /**
   * Partition key of a line: gets the parsed JSON (undefined when the line is not valid JSON) and the line as text
   * (invalid UTF-8 replaced), so malformed lines can still be keyed (e.g. by a hash of the line).
   */
  partitionKey: (event: unknown, line: string) => string;
  /** A JSON-lines file: one event per line. */
  inputPath: string;
}

/** Counters of a file run, plus how many lines were read and how many could not be sent. */
export interface ProduceFileResult extends ProducerCounters {
  /** Lines read, the skipped ones included. */
  lines: number;
  /** Lines with no bytes at all (a Kinesis record cannot be empty; replay rejects them as `empty`). */
  emptySkipped: number;
  /** Lines over the 1 MiB record limit (Kinesis refuses them; replay rejects them as `too-large`). */
  tooLargeSkipped: number;
}

const lenientUtf8 = new TextDecoder('utf-8');

function tryParse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Send every line of a JSON-lines file to a stream byte for byte (a `\r` before the newline, a byte order mark,
 * invalid UTF-8 and malformed JSON included: the pipeline decides on them as `streamfold replay` does on the same
 * file), through a {@link createProducer} producer, and wait until all are written. Lines Kinesis cannot take (no
 * bytes, over 1 MiB) are counted and skipped.
 * @throws ProducerDeliveryError when records failed after every retry.
 */
export async function produceFile(options: ProduceFileOptions): Promise<ProduceFileResult> {
  const { inputPath, partitionKey, ...rest } = options;
  const producer = createProducer<Buffer>({
    ...rest,
    serialize: (line) => line,
    partitionKey: (line) => {
      const text = lenientUtf8.decode(line);
      return partitionKey(tryParse(text), text);
    },
  });
  let lines = 0;
  let emptySkipped = 0;
  let tooLargeSkipped = 0;
  for (const line of jsonLines(inputPath)) {
    lines++;
    if (!Buffer.isBuffer(line) || line.length > MAX_RECORD_BYTES) tooLargeSkipped++;
    else if (line.length === 0) emptySkipped++;
    else await producer.send(line);
  }
  const counters = await producer.close();
  return { ...counters, lines, emptySkipped, tooLargeSkipped };
}
