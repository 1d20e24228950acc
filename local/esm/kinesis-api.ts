import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  ListShardsCommand,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';

/**
 * The part of a Kinesis client the mapping uses: `send(command)`. An SDK v3 `KinesisClient` fits; so does a wrapper
 * that injects faults before delegating to a real client.
 */
export interface KinesisSendClient {
  send(command: any): Promise<any>;
}

/** Stream ARN and region, read once at start. */
export interface StreamInfo {
  streamArn: string;
  region: string;
}

/** Describe the stream: its ARN (for `eventSourceARN`) and region (from the ARN). */
export async function describeStream(client: KinesisSendClient, streamName: string): Promise<StreamInfo> {
  const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const streamArn: string = out.StreamDescriptionSummary.StreamARN;
  return { streamArn, region: streamArn.split(':')[3] ?? 'us-east-1' };
}

/** Every shard of the stream, open and closed, following ListShards pagination. */
export async function listAllShards(client: KinesisSendClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const input = nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken };
    const out = await client.send(new ListShardsCommand(input));
    shards.push(...((out.Shards ?? []) as Shard[]));
    nextToken = out.NextToken;
  } while (nextToken !== undefined);
  return shards;
}

/** Where to position a shard iterator. */
export interface IteratorPosition {
  type: ShardIteratorType;
  sequenceNumber?: string;
  timestamp?: Date;
}

/** GetShardIterator for one shard. */
export async function getShardIterator(
  client: KinesisSendClient,
  streamName: string,
  shardId: string,
  position: IteratorPosition,
): Promise<string | undefined> {
  const out = await client.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: position.type,
      StartingSequenceNumber: position.sequenceNumber,
      Timestamp: position.timestamp,
    }),
  );
  return out.ShardIterator;
}

/** GetRecords with an iterator; `limit` is capped at Kinesis's 10,000. */
export async function getRecords(
  client: KinesisSendClient,
  shardIterator: string,
  limit: number,
): Promise<GetRecordsCommandOutput> {
  return client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: Math.min(limit, 10_000) }));
}

/** True for the error Kinesis returns when a shard iterator is older than five minutes. */
export function isExpiredIterator(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExpiredIteratorException';
}
