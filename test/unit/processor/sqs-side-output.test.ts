// SqsSideOutput against a mocked SQS client: there is no embedded SQS engine, and partial batch failures, sender
// faults and failed calls are failure edges no local engine produces on demand.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  chunk,
  DuplicateMessageIdError,
  InvalidQueueUrlError,
  type RejectedMessage,
  SqsSideOutput,
} from '../../../lambdas/side-output/index';

const sqsMock = mockClient(SQSClient);
const URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-rejected';
const message = (i: number, data = 'eyJ4IjoxfQ=='): RejectedMessage => ({
  kind: 'rejected',
  id: `shardId-000000000000:${i}`,
  pipeline: 'clickstream',
  source: 'shardId-000000000000',
  sequence: String(i),
  reason: 'invalid-json: bad',
  data,
  arrivalTime: 1,
});
const sink = (url = URL) =>
  new SqsSideOutput({
    client: new SQSClient({ region: 'us-east-1' }),
    queueUrl: url,
    backoff: { baseDelayMs: 1, maxDelayMs: 2 },
  });
const ok = (Id: string) => ({ Id, MessageId: `m-${Id}`, MD5OfMessageBody: '' });
const entriesOf = (call: number) => sqsMock.commandCalls(SendMessageBatchCommand)[call]!.args[0].input.Entries ?? [];

beforeEach(() => sqsMock.reset());

describe('SqsSideOutput', () => {
  it('sends in batches of at most 10, each message with its id attribute and JSON body', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => ({
      Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
      Failed: [],
    }));
    const out = await sink().send(Array.from({ length: 23 }, (_, i) => message(i)));
    expect(out).toEqual({ sent: 23, failedIds: [], retries: 0, errors: [], degraded: 0 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
    const first = entriesOf(0)[0]!;
    expect(first.MessageAttributes?.['streamfold-id']?.StringValue).toBe('shardId-000000000000:0');
    expect(JSON.parse(first.MessageBody!)).toEqual(message(0));
    expect(first.MessageDeduplicationId).toBeUndefined();
  });

  it('retries only the failed entries of a partial failure; a sender fault is sent once in its minimal form, not retried', async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => {
      call++;
      const entries = input.Entries as { Id: string; MessageBody: string }[];
      const id = (e: { MessageBody: string }) => JSON.parse(e.MessageBody).sequence as string;
      return {
        Successful: entries
          .filter((e) => call > 1 || !['1', '2'].includes(id(e)))
          .filter((e) => id(e) !== '3')
          .map((e) => ({ Id: e.Id })),
        Failed: entries
          .filter((e) => (call === 1 && ['1', '2'].includes(id(e))) || id(e) === '3')
          .map((e) => ({
            Id: e.Id,
            SenderFault: id(e) === '3',
            Code: id(e) === '3' ? 'InvalidParameterValue' : 'InternalError',
          })),
      };
    });
    const out = await sink().send([0, 1, 2, 3, 4].map((i) => message(i)));
    expect(out.sent).toBe(4);
    // This mock refuses message 3 in any form: its minimal form is refused too, so it fails (no retry either way).
    expect(out.failedIds).toEqual(['shardId-000000000000:3']);
    expect(out.retries).toBe(2);
    expect(out.degraded).toBe(1);
    expect(entriesOf(1).map((e) => JSON.parse(e.MessageBody!))).toEqual([
      expect.objectContaining({
        sequence: '3',
        degraded: true,
        fault: 'InvalidParameterValue: SendMessageBatch entry failed',
      }),
    ]);
    expect(entriesOf(2).map((e) => JSON.parse(e.MessageBody!).sequence)).toEqual(['1', '2']);
  });

  it('a call that throws is not sent again: the SDK already retried it, and every id is reported failed', async () => {
    // SQS has no local engine here, and no engine throws on demand: the mock stands for an SDK client out of retries.
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    const out = await sink().send([message(0), message(1)]);
    expect(out.failedIds.sort()).toEqual(['shardId-000000000000:0', 'shardId-000000000000:1']);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(out.retries).toBe(0);
    expect(out.errors[0]?.message).toBe('down');
  });

  it('sets group and deduplication ids on FIFO queues', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [ok('0')], Failed: [] });
    await sink(`${URL}.fifo`).send([message(7)]);
    const entry = entriesOf(0)[0]!;
    expect(entry.MessageGroupId).toBe('shardId-000000000000');
    expect(entry.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('splits batches by size and refuses duplicate ids and bad URLs', async () => {
    expect(chunk(['a', 'b', 'c'], () => 120_000)).toEqual([['a', 'b'], ['c']]);
    await expect(sink().send([message(1), message(1)])).rejects.toThrow(DuplicateMessageIdError);
    expect(() => sink('not a url')).toThrow(InvalidQueueUrlError);
  });
});
