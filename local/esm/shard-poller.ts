import type { Shard } from '@aws-sdk/client-kinesis';
import { toPolledRecord } from './event-builder';
import { getRecords, getShardIterator, type IteratorPosition, isExpiredIterator } from './kinesis-api';
import { Lane, type LaneHost } from './lane';
import { laneFor } from './lanes';
import { Signal } from './signal';

/** Life of a shard in the mapping. */
export type ShardState = 'waiting' | 'running' | 'finished' | 'stopped';

/** What a shard poller needs from its mapping. */
export interface ShardHost extends LaneHost {
  /** A number that grows with every call: orders GetRecords calls against `drain()`. */
  ticket(): number;
  /** The shard was read to its end and every record was processed: its children may start. */
  finished(shardId: string): void;
}

/**
 * Polls one shard: GetShardIterator, then GetRecords in a loop (at once while records come, every `pollIntervalMs`
 * when caught up), reading ahead up to `maxBufferedRecordsPerShard` records and spreading them over the shard's lanes. An expired iterator is replaced AFTER_SEQUENCE_NUMBER the
 * last record read (records already read are held in the lanes). When GetRecords returns no NextShardIterator the
 * shard is closed: the poller waits for its lanes to finish and then reports the shard finished.
 */
export class ShardPoller {
  state: ShardState = 'waiting';
  /** Sequence number of the last record read: where an expired iterator resumes. */
  lastReadSequence: string | undefined;
  /** Ticket of the last GetRecords that returned no records (-1 before any). */
  lastEmptyPollTicket = -1;
  /** `MillisBehindLatest` of the last GetRecords. */
  millisBehindLatest = 0;
  readonly lanes: Lane[];
  private readonly stopSignal = new Signal();
  private iterator: string | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly shard: Shard,
    private readonly host: ShardHost,
    private readonly startAt: IteratorPosition,
  ) {
    this.lanes = Array.from({ length: host.config.parallelizationFactor }, () => new Lane(host));
  }

  /** The shard id. */
  get shardId(): string {
    return this.shard.ShardId ?? '';
  }

  /** Parent shard ids (a split has one parent, a merge two). */
  get parents(): string[] {
    return [this.shard.ParentShardId, this.shard.AdjacentParentShardId].filter((p): p is string => p !== undefined);
  }

  /** True when every lane is empty and no batch is in flight. */
  get lanesIdle(): boolean {
    return this.lanes.every((lane) => lane.idle);
  }

  /** Mark a shard there is nothing to read from (a closed shard with starting position LATEST). */
  skip(): void {
    this.state = 'finished';
  }

  /** Acquire the first iterator (so LATEST is fixed when this resolves), then poll in the background. */
  async begin(): Promise<void> {
    if (this.state !== 'waiting') return;
    this.state = 'running';
    for (const lane of this.lanes) lane.start();
    this.iterator = await this.acquire(this.startAt);
    this.loop = this.run();
  }

  /** Stop polling and stop the lanes after their batch in flight. */
  async stop(): Promise<void> {
    if (this.state === 'running') this.state = 'stopped';
    this.stopSignal.notify();
    await this.loop;
    await Promise.all(this.lanes.map((lane) => lane.stop()));
  }

  private get stopping(): boolean {
    return this.state === 'stopped';
  }

  private async acquire(position: IteratorPosition): Promise<string | undefined> {
    const { config } = this.host;
    while (!this.stopping) {
      try {
        return await getShardIterator(config.client, config.streamName, this.shardId, position);
      } catch (error) {
        config.onError?.(error, `GetShardIterator ${this.shardId}`);
        await this.stopSignal.wait(config.pollIntervalMs);
      }
    }
    return undefined;
  }

  private buffered(): number {
    return this.lanes.reduce((n, lane) => n + lane.buffered, 0);
  }

  private async run(): Promise<void> {
    const { config, counters } = this.host;
    while (!this.stopping && this.iterator !== undefined) {
      const room = config.maxBufferedRecordsPerShard - this.buffered();
      if (room < config.batchSize) {
        await this.stopSignal.wait(Math.min(config.pollIntervalMs, 20));
        continue;
      }
      const ticket = this.host.ticket();
      let output: Awaited<ReturnType<typeof getRecords>>;
      try {
        output = await getRecords(config.client, this.iterator, room);
        counters.getRecordsCalls++;
      } catch (error) {
        if (isExpiredIterator(error)) {
          counters.iteratorsRenewed++;
          const resume: IteratorPosition =
            this.lastReadSequence === undefined
              ? this.startAt
              : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastReadSequence };
          this.iterator = await this.acquire(resume);
        } else {
          config.onError?.(error, `GetRecords ${this.shardId}`);
          await this.stopSignal.wait(config.pollIntervalMs);
        }
        continue;
      }
      const records = output.Records ?? [];
      this.millisBehindLatest = output.MillisBehindLatest ?? 0;
      if (records.length > 0) {
        counters.recordsPolled += records.length;
        const byLane: Array<ReturnType<typeof toPolledRecord>[]> = this.lanes.map(() => []);
        for (const record of records) {
          const polled = toPolledRecord(record, this.shardId, this.host);
          byLane[laneFor(polled.partitionKey, this.lanes.length)]?.push(polled);
          this.lastReadSequence = polled.sequenceNumber;
        }
        for (const [i, batch] of byLane.entries()) this.lanes[i]?.push(batch);
      }
      this.iterator = output.NextShardIterator ?? undefined;
      if (this.iterator === undefined) break;
      if (records.length === 0) {
        this.lastEmptyPollTicket = ticket;
        await this.stopSignal.wait(config.pollIntervalMs);
      }
    }
    if (this.stopping) return;
    await this.finish();
  }

  /** The shard is closed: process what is left, then report it finished. */
  private async finish(): Promise<void> {
    this.millisBehindLatest = 0;
    for (const lane of this.lanes) lane.flush();
    while (!this.stopping && !this.lanesIdle) await this.stopSignal.wait(10);
    if (this.stopping) return;
    await Promise.all(this.lanes.map((lane) => lane.stop()));
    this.state = 'finished';
    this.host.finished(this.shardId);
  }
}
