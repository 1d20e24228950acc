import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createProducer, type ProducerCounters, type ProducerOptions, type PutRecordsClient } from './producer';

/** Options of {@link produceFile}. */
export interface ProduceFileOptions
  extends Omit<ProducerOptions<string>, 'client' | 'streamName' | 'partitionKey' | 'serialize'> {
  client: PutRecordsClient;
  streamName: string;
  /**
   * Partition key of a line: gets the parsed JSON (undefined when the line is not valid JSON) and the raw line, so
   * malformed lines can still be keyed (e.g. by a hash of the line).
   */
  partitionKey: (event: unknown, line: string) => string;
  /** A JSON-lines file: one event per line; blank lines are skipped. */
  inputPath: string;
}

/** Counters of a file run, plus how many lines were read. */
export interface ProduceFileResult extends ProducerCounters {
  lines: number;
}

function tryParse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Send every line of a JSON-lines file to a stream, byte for byte (malformed lines too: the pipeline rejects them),
 * through a {@link createProducer} producer, and wait until all are written.
 * @throws ProducerDeliveryError when records failed after every retry.
 */
export async function produceFile(options: ProduceFileOptions): Promise<ProduceFileResult> {
  const { inputPath, partitionKey, ...rest } = options;
  const producer = createProducer<string>({
    ...rest,
    serialize: (line) => line,
    partitionKey: (line) => partitionKey(tryParse(line), line),
  });
  const lines = createInterface({ input: createReadStream(inputPath, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let count = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    count++;
    await producer.send(line);
  }
  const counters = await producer.close();
  return { ...counters, lines: count };
}
