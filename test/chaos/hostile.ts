// Hostile records for the sweep: the hostile-input corpus (test/fixtures/bad-input), whatever it holds today, as the
// bytes a producer puts on the stream. Each must end as the oracle says (rejected with the same reason, or applied).
import { type BadInputCase, badInputCases } from '../fixtures/bad-input/index';

/** One corpus record as it goes on the stream. */
export interface HostileRecord {
  readonly name: string;
  /** The record data as the event carries it (base64; for MSK possibly null). */
  readonly data: string | null;
  /** The partition key (or MSK key) the case gives, if any. */
  readonly partitionKey: string | undefined;
  /** Whether Kinesis can carry it (Kinesis data is never null; an MSK value can be). */
  readonly kinesis: boolean;
}

let corpus: HostileRecord[] | undefined;

/** Every corpus case as a stream record (built once: the large cases are megabytes). */
export function hostileCorpus(): readonly HostileRecord[] {
  corpus ??= badInputCases().map(toRecord);
  return corpus;
}

function toRecord(c: BadInputCase): HostileRecord {
  const data = c.source === 'line' ? c.line!.toString('base64') : (c.data ?? null);
  // The corpus may name the partition key a case is sent with (side outputs copy it): use it when given.
  const partitionKey = (c as { partitionKey?: unknown }).partitionKey;
  return {
    name: c.name,
    data,
    partitionKey: typeof partitionKey === 'string' ? partitionKey : undefined,
    kinesis: data !== null,
  };
}
