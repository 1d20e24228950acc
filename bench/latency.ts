/**
 * End-to-end latency of the local pipeline: an event handed to the producer → PutRecords into kinesis-mock → the
 * EventSourceMapping polls the shard and invokes the real processor handler → the state write is committed to
 * DynamoDB Local (the handler has returned: state and checkpoint written, so a reader sees the event's effect).
 * Events are sent at a steady rate; the mapping polls an idle shard once a second, as Lambda does for a standard
 * (non-EFO) consumer, so that interval dominates.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { createKinesisHandler } from '../lambdas/processor/index';
import { makeClients } from '../local/aws-clients';
import { startEngines } from '../local/engines/index';
import { EventSourceMapping } from '../local/esm/index';
import { generate } from '../local/generator/index';
import { createProducer } from '../local/producer/index';
import { clickstream } from '../pipelines/clickstream';
import { freshTables, MemorySqs, silentLogger } from '../test/integration/processor-helpers';
import type { BenchContext, BenchFigures, BenchTarget } from './target';

/** Workload of the latency benchmark. */
export interface LatencyWorkload {
  readonly events: number;
  /** Events sent per second. */
  readonly ratePerSec: number;
  readonly shards: number;
  readonly batchSize: number;
  /** The mapping's GetRecords interval on a caught-up shard (Lambda: about once a second). */
  readonly pollIntervalMs: number;
  readonly seed: number;
}

/** Default: 300 events at 20 per second into one shard. */
export const LATENCY_WORKLOAD: LatencyWorkload = {
  events: 300,
  ratePerSec: 20,
  shards: 1,
  batchSize: 100,
  pollIntervalMs: 1000,
  seed: 7,
};

/** Figures of the latency benchmark. */
export interface LatencyFigures extends BenchFigures {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly measured: number;
  readonly invocations: number;
  readonly workload: LatencyWorkload & { readonly pipeline: string; readonly path: string };
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}

/** Run the latency benchmark (starts kinesis-mock and DynamoDB Local unless AWS_ENDPOINT_URL is set). */
export async function runLatencyBench(
  w: LatencyWorkload = LATENCY_WORKLOAD,
  log: (text: string) => void = () => {},
): Promise<LatencyFigures> {
  const engines = await startEngines();
  const clients = makeClients(engines.endpoints);
  let esm: EventSourceMapping | undefined;
  try {
    const streamName = `bench-latency-${Date.now().toString(36)}`;
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: w.shards }));
    for (let i = 0; i < 400; i++) {
      const out = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      await sleep(25);
    }
    const tables = await freshTables(clients.dynamodb, 'bench-latency');
    const handler = createKinesisHandler(clickstream, {
      dynamodb: clients.dynamodb,
      sqs: new MemorySqs().client,
      ...tables,
      rejectedQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-rejected',
      lateQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-late',
      logger: silentLogger(),
    });
    const produced = new Map<string, number>();
    const visible = new Map<string, number>();
    let invocations = 0;
    esm = new EventSourceMapping({
      client: clients.kinesis,
      streamName,
      startingPosition: 'LATEST',
      batchSize: w.batchSize,
      reportBatchItemFailures: true,
      pollIntervalMs: w.pollIntervalMs,
      handler: async (event, context) => {
        const response = await handler(event, context);
        const at = performance.now();
        invocations++;
        const failedFrom = response.batchItemFailures[0]?.itemIdentifier;
        for (const record of event.Records) {
          if (record.kinesis.sequenceNumber === failedFrom) break;
          const id = (JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as { eventId: string })
            .eventId;
          if (!visible.has(id)) visible.set(id, at);
        }
        return response;
      },
    });
    await esm.start();
    const producer = createProducer<{ eventId: string; userId: string }>({
      client: clients.kinesis,
      streamName,
      partitionKey: (e) => e.userId,
      lingerMs: 0,
      maxInFlight: 1,
    });
    const events = Array.from(
      generate({
        seed: w.seed,
        events: w.events,
        users: 200,
        eventsPerSecond: w.ratePerSec,
        startTime: new Date(Date.now() - 60_000),
        targetBytes: 512,
        lateShare: 0,
        duplicateShare: 0,
        malformedShare: 0,
      }),
      (item) => item.event!,
    );
    log(`latency: sending ${events.length} events at ${w.ratePerSec}/s...`);
    const started = performance.now();
    for (const [i, event] of events.entries()) {
      const due = started + (i * 1000) / w.ratePerSec;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      produced.set(event.eventId, performance.now());
      await producer.send(event);
    }
    await producer.close();
    await esm.drain({ timeoutMs: 120_000 });
    const latencies = [...produced]
      .flatMap(([id, t0]) => (visible.has(id) ? [visible.get(id)! - t0] : []))
      .sort((a, b) => a - b);
    if (latencies.length < events.length) {
      throw new Error(`only ${latencies.length} of ${events.length} events became visible`);
    }
    const figures: LatencyFigures = {
      p50Ms: percentile(latencies, 50),
      p90Ms: percentile(latencies, 90),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
      measured: latencies.length,
      invocations,
      workload: {
        ...w,
        pipeline: clickstream.name,
        path: 'producer → kinesis-mock → EventSourceMapping → processor handler → DynamoDB Local',
      },
    };
    log(`latency: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms`);
    return figures;
  } finally {
    await esm?.stop();
    clients.destroy();
    await engines.stop();
  }
}

/** The `latency` benchmark target. */
export const latency: BenchTarget = {
  name: 'latency',
  description: 'event produced → state committed, through producer, kinesis-mock, EventSourceMapping, DynamoDB Local',
  run: (context: BenchContext) =>
    runLatencyBench(context.quick ? { ...LATENCY_WORKLOAD, events: 40 } : LATENCY_WORKLOAD, context.log),
};
