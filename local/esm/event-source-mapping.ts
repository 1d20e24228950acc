import type { Shard } from '@aws-sdk/client-kinesis';
import { type EventSourceMappingOptions, type ResolvedEsmConfig, resolveConfig } from './config';
import { type EsmCounters, emptyCounters } from './counters';
import { EsmDrainTimeoutError, EsmLifecycleError, EsmStreamError } from './errors';
import { functionArn } from './event-builder';
import { describeStream, type IteratorPosition, listAllShards } from './kinesis-api';
import { type ShardHost, ShardPoller } from './shard-poller';
import { Signal } from './signal';

/** Options of {@link EventSourceMapping.drain}. */
export interface DrainOptions {
  /**
   * Give up after this long with an {@link EsmDrainTimeoutError}.
   * @default 30000
   */
  timeoutMs?: number;
}

/**
 * A local Kinesis event source mapping: reads every shard of a stream and invokes a handler the way AWS Lambda does
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html), with batching, ordering, retries, bisecting,
 * partial batch responses, record age, an on-failure destination and resharding (parents before children).
 *
 * ```ts
 * const esm = new EventSourceMapping({ client, streamName, handler, startingPosition: 'TRIM_HORIZON' });
 * await esm.start();
 * await esm.drain(); // every record written so far is processed (or discarded)
 * await esm.stop();
 * ```
 */
export class EventSourceMapping {
  /** Settings with AWS's defaults filled in. */
  readonly config: ResolvedEsmConfig;
  private readonly pollers = new Map<string, ShardPoller>();
  private readonly counts = emptyCounters();
  private readonly stopSignal = new Signal();
  private state: 'created' | 'running' | 'stopped' = 'created';
  private tickets = 0;
  private lastListTicket = -1;
  private host: ShardHost | undefined;
  private discovery: Promise<void> | undefined;

  /** Check the settings (an {@link SettingError} names a bad one); nothing is read before `start()`. */
  constructor(options: EventSourceMappingOptions) {
    this.config = resolveConfig(options);
  }

  /**
   * Describe the stream, list its shards, position an iterator on every shard that may start now (so records written
   * after `start()` resolves are read even with LATEST), then poll in the background.
   */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new EsmLifecycleError(this.state, 'start');
    this.state = 'running';
    let shards: Shard[];
    try {
      const stream = await describeStream(this.config.client, this.config.streamName);
      this.host = {
        config: this.config,
        counters: this.counts,
        streamArn: stream.streamArn,
        region: stream.region,
        invokeIdentityArn: this.config.invokeIdentityArn,
        functionArn: functionArn(this.config.functionName, stream.region),
        ticket: () => ++this.tickets,
        finished: () => void this.startEligible(),
      };
      const ticket = ++this.tickets;
      shards = await listAllShards(this.config.client, this.config.streamName);
      this.lastListTicket = ticket;
    } catch (error) {
      this.state = 'stopped';
      throw new EsmStreamError(this.config.streamName, { cause: error });
    }
    for (const shard of shards) this.register(shard, true);
    await this.startEligible();
    this.discovery = this.discover();
  }

  /** Stop polling and finish the batches in flight (graceful). Records not yet invoked stay in the stream. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.stopSignal.notify();
    await this.discovery;
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
  }

  /**
   * Resolve when every shard is caught up: a ListShards and, on every open shard, a GetRecords that started after
   * this call found nothing new, no batch is queued, pending or in flight, and closed shards are finished.
   * Records written before the call are then processed or discarded.
   */
  async drain(options: DrainOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const since = ++this.tickets;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = this.busyShards(since);
      if (pending.length === 0 && this.lastListTicket > since) return;
      if (Date.now() > deadline) throw new EsmDrainTimeoutError(timeoutMs, pending);
      if (this.state !== 'running') throw new EsmLifecycleError(this.state, 'drain');
      await this.stopSignal.wait(Math.min(this.config.pollIntervalMs, 25));
    }
  }

  /** A snapshot of the counters. */
  counters(): EsmCounters {
    let behind = 0;
    let active = 0;
    let finished = 0;
    for (const poller of this.pollers.values()) {
      if (poller.state === 'running') {
        active++;
        behind = Math.max(behind, poller.millisBehindLatest);
      }
      if (poller.state === 'finished') finished++;
    }
    return { ...this.counts, millisBehindLatest: behind, shardsActive: active, shardsFinished: finished };
  }

  /** Shard ids and their state, for diagnostics. */
  shardStates(): Record<string, string> {
    return Object.fromEntries([...this.pollers].map(([id, p]) => [id, p.state]));
  }

  private busyShards(since: number): string[] {
    const busy: string[] = [];
    for (const [id, poller] of this.pollers) {
      if (poller.state === 'finished') continue;
      if (poller.state === 'waiting') busy.push(`${id} waits for parent ${poller.parents.join(', ')}`);
      else if (!poller.lanesIdle) busy.push(`${id} has records queued or in flight`);
      else if (poller.lastEmptyPollTicket <= since) busy.push(`${id} not caught up`);
    }
    return busy;
  }

  private register(shard: Shard, atStart: boolean): void {
    const id = shard.ShardId;
    if (id === undefined || this.pollers.has(id) || this.host === undefined) return;
    const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    const poller = new ShardPoller(shard, this.host, this.startPosition(atStart));
    if (atStart && closed && this.config.startingPosition === 'LATEST') poller.skip();
    this.pollers.set(id, poller);
  }

  /** Shards present at start use the configured position; shards created later are read from TRIM_HORIZON. */
  private startPosition(atStart: boolean): IteratorPosition {
    if (!atStart) return { type: 'TRIM_HORIZON' };
    const { startingPosition, startingPositionTimestamp } = this.config;
    return startingPosition === 'AT_TIMESTAMP'
      ? { type: 'AT_TIMESTAMP', timestamp: startingPositionTimestamp }
      : { type: startingPosition };
  }

  /** Start every waiting shard whose parents are finished (or no longer listed: trimmed past retention). */
  private async startEligible(): Promise<void> {
    if (this.state !== 'running') return;
    const starting: Promise<void>[] = [];
    for (const poller of this.pollers.values()) {
      if (poller.state !== 'waiting') continue;
      const parentsDone = poller.parents.every((p) => {
        const parent = this.pollers.get(p);
        return parent === undefined || parent.state === 'finished';
      });
      if (parentsDone) starting.push(poller.begin());
    }
    await Promise.all(starting);
  }

  private async discover(): Promise<void> {
    while (this.state === 'running') {
      await this.stopSignal.wait(this.config.shardDiscoveryIntervalMs);
      if (this.state !== 'running') return;
      const ticket = ++this.tickets;
      try {
        const shards = await listAllShards(this.config.client, this.config.streamName);
        for (const shard of shards) this.register(shard, false);
        this.lastListTicket = ticket;
        await this.startEligible();
      } catch (error) {
        this.config.onError?.(error, 'ListShards');
      }
    }
  }
}
