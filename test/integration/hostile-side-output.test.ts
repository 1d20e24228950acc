// Issue 11, hole 3, through the real Kinesis handler on DynamoDB Local: a side-output message SQS refuses with a sender
// fault ends in the side output in its minimal form; its batch is not failed and nothing is retried. SQS is a
// stand-in (no embedded SQS engine exists, and no engine produces sender faults on demand): it refuses what SQS
// refuses (non-XML bodies, bodies over 256 KiB) plus, here, every full rejected message, as a queue whose
// MaximumMessageSize is smaller than the messages would.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { CORPUS_ARRIVAL, validLines } from '../fixtures/bad-input';
import { hostileProcessor, REJECTED_URL, SHARD, sequenceOf, type TestRecord } from './hostile-helpers';

const clients = makeClients(inject('engineEndpoints'));
afterAll(() => clients.destroy());

const record = (text: string, partitionKey = 'pk'): TestRecord => ({
  data: Buffer.from(text).toString('base64'),
  partitionKey,
  arrivalMs: CORPUS_ARRIVAL,
});

describe('a sender fault on a side-output message', () => {
  it('ends the record in the side output in its minimal form, fails nothing and retries nothing', async () => {
    const p = await hostileProcessor(clients.dynamodb, clickstream, 'kinesis', { now: () => CORPUS_ARRIVAL + 60_000 });
    p.sqs.refuse = (body) => body.includes('"data"');
    const valid = validLines('clickstream', 8);
    const records = [
      ...valid.slice(0, 4).map((l) => record(l)),
      record('{"eventId":"x","userId":', 'pk\uffff'),
      ...valid.slice(4).map((l) => record(l)),
      record('not json \uffff'),
    ];
    const failures = await p.invoke(records, 0);
    expect(failures).toEqual([]);
    expect(p.invocations).toBe(1);
    expect(p.summaries[0]).toMatchObject({ applied: 8, rejected: 2, retries: 0, failures: [] });
    const rejected = p.sqs.messages(REJECTED_URL);
    expect(rejected.map((m) => m.id).sort()).toEqual([`${SHARD}:${sequenceOf(4)}`, `${SHARD}:${sequenceOf(9)}`].sort());
    for (const m of rejected) {
      expect(m).toMatchObject({ kind: 'rejected', pipeline: 'clickstream', source: SHARD, degraded: true });
      expect(m.reason).toMatch(/^invalid-json: /);
      expect(m.fault).toMatch(/^InvalidParameterValue: /);
      expect(m).not.toHaveProperty('data');
    }
    const withKey = rejected.find((m) => m.sequence === sequenceOf(4))!;
    expect(Buffer.from(withKey.partitionKeyBase64, 'base64').toString('utf8')).toBe('pk\uffff');
    // Two full messages refused, two minimal ones accepted: no message sent twice in the same form.
    expect(p.sqs.senderFaults).toBe(2);
    expect(p.sqs.entries).toBe(4);
  });
});
