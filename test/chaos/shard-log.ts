import type { MSKRecord } from 'aws-lambda';
import { decodeBase64Record, evenHashRanges, type HashKeyRange, partitionHash, shardRouter } from '../../core';
import { laneFor, type PolledRecord, toPolledRecord } from '../../local/esm/index';
import { generate, mulberry32 } from '../../local/generator/index';
import { hostileCorpus } from './hostile';
import { pipelineOf } from './pipelines';
import { aheadOutlierTime, behindOutlierTime, type GarbageShard, type Schedule } from './schedule';

/** What a producer sends, in send order. */
export interface Send {
  /** The text sent (a line), or a description for a hostile record. */
  readonly line: string;
  /** The record data as the event carries it: base64 (an MSK value may be null). */
  readonly data: string | null;
  readonly partitionKey: string;
  readonly kind: 'event' | 'resend' | 'outlier' | 'burst' | 'hostile';
}

/** One record of the in-memory stream: what was sent, where it went, and its place in the global send order. */
export interface LogRecord {
  /** Position in send order over all sources (the oracle replays records in this order). */
  readonly index: number;
  readonly line: string;
  readonly data: string | null;
  readonly partitionKey: string;
  readonly kind: Send['kind'];
  /** True for a producer resend (the same line sent again as a new record). */
  readonly resent: boolean;
  /** The source as the event names it: a Kinesis shard id, or an MSK `topic-partition`. */
  readonly shardId: string;
  /** The source's identity as the processor keys checkpoints (`<stream>/<shard>`, `<cluster uuid>/<topic-partition>`). */
  readonly identity: string;
  /** 0, or 1 for records after a reshard (child shards) or an offset reset (the new topic). */
  readonly generation: number;
  /** The delivery lane (a shard, a shard's ParallelizationFactor lane, or a topic-partition of one generation). */
  readonly lane: string;
  /** Sequence number (Kinesis) or offset (MSK), decimal. */
  readonly sequence: string;
  readonly arrivalMs: number;
  /** The record as the driver batches it (for MSK a stand-in carrying the offset as sequence number). */
  readonly polled: PolledRecord;
  /** The MSK record, for MSK schedules. */
  readonly msk?: MSKRecord;
}

/** A delivery lane: its records in sequence order, and the lanes Lambda finishes first (a reshard's parents). */
export interface Lane {
  readonly id: string;
  readonly records: LogRecord[];
  readonly parents: readonly string[];
}

/** An in-memory stream (Kinesis shards or MSK topic-partitions) holding a schedule's sends. */
export interface ShardLog {
  /** Hash key ranges of the shards before any reshard (Kinesis). */
  readonly ranges: HashKeyRange[];
  readonly shardIds: string[];
  /** Every record in send order. */
  readonly records: LogRecord[];
  /** Records of each source (shard id or topic-partition, both generations), in send order. */
  readonly byShard: Map<string, LogRecord[]>;
  readonly lanes: Lane[];
  readonly streamArn: string;
  /** MSK: the event source ARN of each generation. */
  readonly clusterArns: readonly string[];
}

export const STREAM_NAME = 'chaos';
const SOURCE = {
  streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM_NAME}`,
  region: 'us-east-1',
  invokeIdentityArn: 'arn:aws:iam::000000000000:role/chaos',
};
/** MSK topic of the sweep. */
export const TOPIC = 'clicks';
const CLUSTERS = ['7f1c2b3a-0d4e-4a5b-9c6d-000000000001', '7f1c2b3a-0d4e-4a5b-9c6d-000000000002'];
const clusterArn = (uuid: string) => `arn:aws:kafka:us-east-1:000000000000:cluster/chaos/${uuid}`;

/** The partition key a producer uses for a line: the user id, or a fixed key for lines that are not JSON objects. */
export function partitionKeyOf(line: string): string {
  try {
    const value = JSON.parse(line) as { userId?: unknown };
    return typeof value?.userId === 'string' && value.userId !== '' ? value.userId : 'unparsable';
  } catch {
    return 'unparsable';
  }
}

/** The generated lines of a schedule in send order, with the producer's resends mixed in a few records later. */
export function scheduleLines(schedule: Schedule): { line: string; resent: boolean }[] {
  const rng = mulberry32(schedule.seed ^ 0x2545f491);
  const out: { line: string; resent: boolean }[] = [];
  const later: { at: number; line: string }[] = [];
  let i = 0;
  for (const item of generate(schedule.generator)) {
    out.push({ line: item.line, resent: false });
    if (rng.next() < schedule.producerResend) later.push({ at: i + 1 + rng.int(8), line: item.line });
    for (const r of later.filter((r) => r.at === i)) out.push({ line: r.line, resent: true });
    i++;
  }
  for (const r of later.filter((r) => r.at >= i)) out.push({ line: r.line, resent: true });
  return out;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * Everything the schedule's producers send, in order: the generated lines and resends, the single outliers, the
 * hostile corpus records, each with its partition key (with ParallelizationFactor > 1 some producers use another key
 * than the aggregation key).
 */
export function scheduleSends(schedule: Schedule): Send[] {
  const rng = mulberry32(schedule.seed ^ 0x51ed270b);
  const sends: Send[] = scheduleLines(schedule).map(({ line, resent }) => {
    let partitionKey = partitionKeyOf(line);
    if (partitionKey !== 'unparsable' && rng.next() < schedule.foreignKeyShare) {
      // A producer that partitions by session (or event) instead of user.
      partitionKey = rng.next() < 0.5 ? `session-${partitionKey}-${rng.int(4)}` : `evt-${rng.int(1_000_000)}`;
    }
    return { line, data: base64(line), partitionKey, kind: resent ? 'resend' : 'event' };
  });
  const insert = (send: Send, from = 0.1, to = 0.9) => {
    const at = Math.floor((from + rng.next() * (to - from)) * sends.length);
    sends.splice(at, 0, send);
  };
  const outlier = (name: string, ts: number, near: number) => {
    // The outlier belongs to a user of the schedule (it meets that user's state), or to its own key.
    const neighbour = sends[Math.min(near, sends.length - 1)]!;
    const userId = neighbour.kind === 'event' ? partitionKeyOf(neighbour.line) : 'unparsable';
    const user = userId === 'unparsable' ? `outlier-${schedule.seed}` : userId;
    const line = JSON.stringify({
      eventId: `outlier-${schedule.seed}-${name}`,
      userId: user,
      type: 'click',
      ts: new Date(ts).toISOString(),
      page: `/outlier/${name}`,
    });
    return { line, data: base64(line), partitionKey: user, kind: 'outlier' as const };
  };
  const start = new Date(schedule.generator.startTime ?? 0).getTime();
  if (schedule.outliers.ahead) insert(outlier('ahead', aheadOutlierTime(schedule.clock), rng.int(sends.length)));
  if (schedule.outliers.behind)
    insert(outlier('behind', behindOutlierTime(start, schedule.seed), rng.int(sends.length)));
  for (let b = 0; b < schedule.bursts; b++) {
    // A buffering client flushes its events at once: one user, 5.5 to 8 minutes behind the clock where it lands (around
    // the 5-minute grace: some of its windows are closed, some not).
    const at = Math.floor((0.2 + rng.next() * 0.7) * sends.length);
    const clock = timeOf(sends, at);
    if (clock === undefined) continue;
    const user = `burst-${schedule.seed}-${b}`;
    const behind = 330_000 + rng.int(150_000);
    const burst = Array.from({ length: 12 + rng.int(21) }, (_, i): Send => {
      const line = JSON.stringify({
        eventId: `burst-${schedule.seed}-${b}-${i}`,
        userId: user,
        type: 'view',
        ts: new Date(clock - behind + i * 1500).toISOString(),
        page: `/buffered/${i}`,
      });
      return { line, data: base64(line), partitionKey: user, kind: 'burst' };
    });
    sends.splice(at, 0, ...burst);
  }
  if (schedule.hostile > 0) {
    const corpus = hostileCorpus().filter((c) => schedule.source === 'msk' || c.kinesis);
    for (let i = 0; i < schedule.hostile; i++) {
      const c = corpus[rng.int(corpus.length)]!;
      const partitionKey = c.partitionKey ?? `hostile-${rng.int(5)}`;
      insert({ line: `<hostile: ${c.name}>`, data: c.data, partitionKey, kind: 'hostile' }, 0, 1);
    }
  }
  return schedule.garbage ? withGarbageShard(schedule, schedule.garbage, sends) : sends;
}

/** Largest corpus record sent to a garbage shard (the corpus's megabyte cases would only slow the sweep down). */
const GARBAGE_MAX_BYTES = 4096;

/**
 * The sends with shard `garbage.shard` given only garbage from `garbage.from` on: every send routed to it from there
 * is left out (its producers go quiet there), and `garbage.records` corpus records the pipeline rejects are spread
 * over the rest of the sends, under partition keys that route to it.
 */
function withGarbageShard(schedule: Schedule, garbage: GarbageShard, sends: readonly Send[]): Send[] {
  const rng = mulberry32(schedule.seed ^ 0x6a09e667);
  const route = shardRouter(evenHashRanges(schedule.shards));
  const cut = Math.floor(garbage.from * sends.length);
  const kept = sends.filter((send, i) => i < cut || route(send.partitionKey) !== garbage.shard);
  const pipeline = pipelineOf(schedule);
  const corpus = hostileCorpus().filter(
    (c) =>
      c.kinesis &&
      c.data !== null &&
      c.data.length <= GARBAGE_MAX_BYTES &&
      !decodeBase64Record(pipeline, c.data, schedule.clock).ok,
  );
  if (corpus.length === 0) throw new Error('the hostile corpus holds no record the pipeline rejects');
  const keys: string[] = [];
  for (let n = 0; keys.length < 4; n++) {
    const key = `garbage-${schedule.seed}-${n}`;
    if (route(key) === garbage.shard) keys.push(key);
  }
  // Every send before the cut is kept: the cut is at the same index of the kept sends.
  const start = Math.min(cut, kept.length);
  for (let i = 0; i < garbage.records; i++) {
    const c = corpus[rng.int(corpus.length)]!;
    // The first one right at the cut (the shard has a checkpoint early), the others anywhere after it.
    const at = i === 0 ? start : start + rng.int(kept.length - start + 1);
    kept.splice(at, 0, {
      line: `<garbage: ${c.name}>`,
      data: c.data,
      partitionKey: keys[rng.int(keys.length)]!,
      kind: 'hostile',
    });
  }
  return kept;
}

/** The event time of the nearest generated event at or before `at` (the producers' clock there). */
function timeOf(sends: readonly Send[], at: number): number | undefined {
  for (let i = Math.min(at, sends.length - 1); i >= 0; i--) {
    if (sends[i]!.kind !== 'event') continue;
    try {
      const time = Date.parse((JSON.parse(sends[i]!.line) as { ts?: string }).ts ?? '');
      if (Number.isFinite(time)) return time;
    } catch {
      // a malformed line: look further back
    }
  }
  return undefined;
}

/** Build the stream of a schedule's sends: Kinesis shards (with a reshard and lanes), or MSK topic-partitions. */
export function buildLog(schedule: Schedule, sends: readonly Send[]): ShardLog {
  return schedule.source === 'msk' ? buildMskLog(schedule, sends) : buildShardLog(sends, schedule);
}

const kinesisId = (n: number) => `shardId-${String(n).padStart(12, '0')}`;
const BASE_SEQUENCE = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

function overlaps(a: HashKeyRange, b: HashKeyRange): boolean {
  return BigInt(a.startingHashKey) <= BigInt(b.endingHashKey) && BigInt(b.startingHashKey) <= BigInt(a.endingHashKey);
}

/** A Kinesis record as Lambda delivers it, with the data exactly as given (hostile data may not be valid base64). */
function kinesisPolled(
  data: string,
  sequence: string,
  partitionKey: string,
  arrivalMs: number,
  shardId: string,
): PolledRecord {
  const polled = toPolledRecord(
    {
      SequenceNumber: sequence,
      Data: new Uint8Array(),
      PartitionKey: partitionKey,
      ApproximateArrivalTimestamp: new Date(arrivalMs),
    },
    shardId,
    SOURCE,
  );
  polled.lambdaRecord.kinesis.data = data;
  polled.sizeBytes = Buffer.byteLength(JSON.stringify(polled.lambdaRecord));
  return polled;
}

/**
 * Put the sends into an in-memory Kinesis stream of even shards, routed by the Kinesis hash of the partition key (the
 * routing `replay()` uses). Sequence numbers are 56-digit decimals like Kinesis's, increasing per shard; arrival
 * timestamps are the real time of the build plus the send index (ms), so they grow with the sequence. With a reshard,
 * the sends after it go to the child shards (new ids, higher sequence numbers); each child's lanes wait for the
 * lanes of the shards it overlaps (Lambda processes a parent before its children). With ParallelizationFactor > 1 a
 * shard's records are split into lanes by partition key (the hash Lambda uses).
 */
export function buildShardLog(sends: readonly Send[], schedule: Schedule): ShardLog {
  const generations = [evenHashRanges(schedule.shards)];
  if (schedule.reshard) generations.push(evenHashRanges(schedule.reshard.shards));
  let next = 0;
  const ids = generations.map((ranges) => ranges.map(() => kinesisId(next++)));
  const routes = generations.map((ranges) => shardRouter(ranges));
  const reshardAt = schedule.reshard ? Math.floor(schedule.reshard.at * sends.length) : Number.POSITIVE_INFINITY;
  const laneIds = (shard: string) =>
    schedule.lanes > 1 ? Array.from({ length: schedule.lanes }, (_, i) => `${shard}#${i}`) : [shard];
  const lanes = new Map<string, Lane>();
  generations.forEach((ranges, g) => {
    ranges.forEach((range, i) => {
      const parents =
        g === 0 ? [] : generations[0]!.flatMap((old, j) => (overlaps(old, range) ? laneIds(ids[0]![j]!) : []));
      for (const id of laneIds(ids[g]![i]!)) lanes.set(id, { id, records: [], parents });
    });
  });
  const byShard = new Map<string, LogRecord[]>(ids.flat().map((id) => [id, []]));
  const arrival = Date.now();
  const records = sends.map((send, index): LogRecord => {
    const generation = index >= reshardAt ? 1 : 0;
    const shardId = ids[generation]![routes[generation]!(send.partitionKey)]!;
    const list = byShard.get(shardId)!;
    // Gaps between sequence numbers, as Kinesis leaves them; children's are above every parent's.
    const sequence = String(
      BASE_SEQUENCE + BigInt(generation) * 10n ** 40n + BigInt(list.length) * 1_000_003n + BigInt(index % 7),
    );
    const lane = schedule.lanes > 1 ? `${shardId}#${laneFor(send.partitionKey, schedule.lanes)}` : shardId;
    const arrivalMs = arrival + index;
    const record: LogRecord = {
      index,
      line: send.line,
      data: send.data,
      partitionKey: send.partitionKey,
      kind: send.kind,
      resent: send.kind === 'resend',
      shardId,
      identity: `${STREAM_NAME}/${shardId}`,
      generation,
      lane,
      sequence,
      arrivalMs,
      polled: kinesisPolled(send.data ?? '', sequence, send.partitionKey, arrivalMs, shardId),
    };
    list.push(record);
    lanes.get(lane)!.records.push(record);
    return record;
  });
  return {
    ranges: generations[0]!,
    shardIds: ids.flat(),
    records,
    byShard,
    lanes: [...lanes.values()],
    streamArn: SOURCE.streamArn,
    clusterArns: [],
  };
}

/**
 * Put the sends into an MSK topic of `shards` partitions (by the hash of the key). With an offset reset, the sends
 * after it go to the new topic (offsets from 0 again), on the same cluster (`recreate`) or another one
 * (`new-cluster`); its lanes start once the old topic is drained. Timestamps are the real time of the build plus the
 * send index (ms): broker times (LogAppendTime) or producer times (CreateTime), as the schedule says.
 */
function buildMskLog(schedule: Schedule, sends: readonly Send[]): ShardLog {
  const partitions = schedule.shards;
  const resetAt = schedule.reset ? Math.floor(schedule.reset.at * sends.length) : Number.POSITIVE_INFINITY;
  const clusters = [CLUSTERS[0]!, schedule.reset?.kind === 'new-cluster' ? CLUSTERS[1]! : CLUSTERS[0]!];
  const laneId = (p: number, g: number) => `${TOPIC}-${p}@${g}`;
  const lanes = new Map<string, Lane>();
  const generations = schedule.reset ? [0, 1] : [0];
  for (const g of generations) {
    for (let p = 0; p < partitions; p++) {
      const parents = g === 0 ? [] : Array.from({ length: partitions }, (_, q) => laneId(q, 0));
      lanes.set(laneId(p, g), { id: laneId(p, g), records: [], parents });
    }
  }
  const byShard = new Map<string, LogRecord[]>();
  const offsets = new Map<string, number>();
  const arrival = Date.now();
  const records = sends.map((send, index): LogRecord => {
    const generation = index >= resetAt ? 1 : 0;
    const partition = Number(partitionHash(send.partitionKey) % BigInt(partitions));
    const shardId = `${TOPIC}-${partition}`;
    const lane = laneId(partition, generation);
    const offset = offsets.get(lane) ?? 0;
    offsets.set(lane, offset + 1);
    const arrivalMs = arrival + index;
    const msk = {
      topic: TOPIC,
      partition,
      offset,
      timestamp: arrivalMs,
      timestampType: schedule.timestamps,
      key: Buffer.from(send.partitionKey, 'utf8').toString('base64'),
      value: send.data,
      headers: [],
    } as unknown as MSKRecord;
    const record: LogRecord = {
      index,
      line: send.line,
      data: send.data,
      partitionKey: send.partitionKey,
      kind: send.kind,
      resent: send.kind === 'resend',
      shardId,
      identity: `${clusters[generation]}/${shardId}`,
      generation,
      lane,
      sequence: String(offset),
      arrivalMs,
      polled: kinesisPolled(send.data ?? '', String(offset), send.partitionKey, arrivalMs, shardId),
      msk,
    };
    byShard.set(shardId, [...(byShard.get(shardId) ?? []), record]);
    lanes.get(lane)!.records.push(record);
    return record;
  });
  return {
    ranges: [],
    shardIds: Array.from({ length: partitions }, (_, p) => `${TOPIC}-${p}`),
    records,
    byShard,
    lanes: [...lanes.values()],
    streamArn: '',
    clusterArns: clusters.map(clusterArn),
  };
}
