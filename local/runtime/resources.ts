import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { HashKeyRange } from '../../core';
import type { ResourceNames } from '../../core/names';
import { ensureStateTables } from '../../lambdas/state/index';
import { ResourceSetupError } from './errors';

/** What {@link ensureResources} created or found. */
export interface LocalResources {
  /** The stream's open shards. */
  shards: Shard[];
  /** Their hash key ranges, in ListShards order (for `replay(..., { shards: ranges })`). */
  ranges: HashKeyRange[];
  /** True when the stream already existed (a run against LocalStack or a reused engine). */
  streamExisted: boolean;
}

/** Wait until the stream is ACTIVE. */
async function waitActive(kinesis: Pick<KinesisClient, 'send'>, stream: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`stream ${stream} did not become ACTIVE within 30 s`);
}

/** The open shards of a stream and their hash key ranges. */
export async function openShards(
  kinesis: Pick<KinesisClient, 'send'>,
  stream: string,
): Promise<{ shards: Shard[]; ranges: HashKeyRange[] }> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out = await kinesis.send(
      new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream, ShardFilter: { Type: 'AT_LATEST' } }),
    );
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token);
  const ranges = shards.map((s) => ({
    startingHashKey: s.HashKeyRange?.StartingHashKey ?? '0',
    endingHashKey: s.HashKeyRange?.EndingHashKey ?? '0',
  }));
  return { shards, ranges };
}

/**
 * Create the pipeline's stream (with `shardCount` shards) and its state and dedupe tables, with the names the CDK app
 * uses ({@link ResourceNames}), unless they exist; wait until they are ACTIVE.
 * @throws ResourceSetupError naming the resource that failed.
 */
export async function ensureResources(
  clients: { kinesis: Pick<KinesisClient, 'send'>; dynamodb: Pick<DynamoDBClient, 'send'> },
  names: ResourceNames,
  shardCount: number,
): Promise<LocalResources> {
  let streamExisted = false;
  try {
    try {
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: names.stream, ShardCount: shardCount }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
      streamExisted = true;
    }
    await waitActive(clients.kinesis, names.stream);
  } catch (error) {
    throw new ResourceSetupError(`stream ${names.stream}`, { cause: error });
  }
  try {
    await ensureStateTables(clients.dynamodb, { stateTable: names.stateTable, dedupeTable: names.dedupeTable });
  } catch (error) {
    throw new ResourceSetupError(`tables ${names.stateTable} and ${names.dedupeTable}`, { cause: error });
  }
  return { ...(await openShards(clients.kinesis, names.stream)), streamExisted };
}
