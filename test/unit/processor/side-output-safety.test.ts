// Issue 11, hole 3: side-output bodies are XML-safe whatever came from outside, and an SQS sender fault is never
// retried as if transient nor fails the record: the message is sent again in a minimal form. SQS is mocked: there is
// no embedded SQS engine, and no engine produces sender faults on demand; the mock applies SQS's documented body rule
// (only the XML character set) and answers a sender fault like SQS (a Failed entry with SenderFault: true).
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type LateMessage,
  type RejectedMessage,
  SqsSideOutput,
  sideOutputBody,
  xmlSafeJson,
} from '../../../lambdas/side-output/index';
import { JsonlSideOutput } from '../../../local/runtime/jsonl-side-output';

const sqsMock = mockClient(SQSClient);
const URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-rejected';
beforeEach(() => sqsMock.reset());
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** True when every character of the text is in the XML 1.0 character set (what SQS accepts in a body). */
function isXmlSafe(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const ok =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) return false;
  }
  return true;
}

const rejected = (i: number, over: Partial<RejectedMessage> = {}): RejectedMessage => ({
  kind: 'rejected',
  id: `shardId-000000000000:${i}`,
  pipeline: 'clickstream',
  source: 'shardId-000000000000',
  sequence: String(i),
  reason: 'invalid-json: bad',
  data: 'eyJ4IjoxfQ==',
  arrivalTime: 1,
  ...over,
});
const late = (i: number, over: Partial<LateMessage> = {}): LateMessage => ({
  kind: 'late',
  id: `shardId-000000000000:${i}:perMinute:0`,
  pipeline: 'clickstream',
  source: 'shardId-000000000000',
  sequence: String(i),
  key: 'u1',
  window: 'perMinute',
  start: 0,
  end: 60_000,
  eventTime: 1,
  streamTime: 400_000,
  data: 'eyJ4IjoxfQ==',
  ...over,
});
const sink = () =>
  new SqsSideOutput({
    client: new SQSClient({ region: 'us-east-1' }),
    queueUrl: URL,
    backoff: { baseDelayMs: 1, maxDelayMs: 2 },
  });
type Entry = { Id: string; MessageBody: string };
/** SQS's answer: entries whose body `refuse` picks fail as sender faults with `code`; the others are accepted. */
const answer =
  (refuse: (body: string) => boolean, code = 'InvalidMessageContents') =>
  (input: { Entries: Entry[] }) => ({
    Successful: input.Entries.filter((e) => !refuse(e.MessageBody)).map((e) => ({ Id: e.Id, MessageId: 'm' })),
    Failed: input.Entries.filter((e) => refuse(e.MessageBody)).map((e) => ({
      Id: e.Id,
      SenderFault: true,
      Code: code,
      Message: `Invalid binary character '#xFFFF' was found in the message body (simulated)`,
    })),
  });
const bodies = () =>
  sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.MessageBody!));

describe('side-output bodies are XML-safe', () => {
  it('JSON.stringify already escapes lone surrogates and C0 controls, but not U+FFFE and U+FFFF', () => {
    expect(JSON.stringify('\udfff\ud800\u0000\u001f')).toBe('"\\udfff\\ud800\\u0000\\u001f"');
    expect(JSON.stringify('\ufffe\uffff')).toBe('"\ufffe\uffff"');
  });

  it('escapes every code unit outside the XML set, in every field, and round-trips the message', () => {
    const units = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c));
    const all = units.join('');
    const messages = [
      rejected(1, { reason: `invalid-json: ${all}`, partitionKey: all }),
      late(2, { key: all, window: all }),
    ];
    for (const message of messages) {
      const body = sideOutputBody(message);
      expect(isXmlSafe(body)).toBe(true);
      expect(JSON.parse(body)).toEqual(message);
    }
  });

  it('keeps surrogate pairs (characters above U+FFFF) as they are and any JSON value round-trips', () => {
    expect(xmlSafeJson({ k: '\u{1F600}\uffff' })).toBe('{"k":"\u{1F600}\\uffff"}');
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 60 }), (value, text) => {
        const body = xmlSafeJson({ value, text });
        expect(isXmlSafe(body)).toBe(true);
        expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify({ value, text })));
      }),
      { numRuns: 100 },
    );
  }, 30_000);

  it('SqsSideOutput sends XML-safe bodies: SQS refuses none of them', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer((body) => !isXmlSafe(body)));
    const out = await sink().send([
      rejected(1, { reason: 'invalid-json: Unexpected token \'\uffff\', "\uffff" is not valid JSON' }),
      rejected(2, { partitionKey: 'pk\ufffe\u0007' }),
      late(3, { key: 'k\uffff' }),
    ]);
    expect(out).toMatchObject({ sent: 3, failedIds: [], retries: 0, degraded: 0 });
    for (const body of bodies()) expect(isXmlSafe(body)).toBe(true);
  });

  it('the local JSONL side output writes the same bodies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamfold-jsonl-'));
    dirs.push(dir);
    const path = join(dir, 'rejected.jsonl');
    const messages = [rejected(1, { reason: 'invalid-json: \uffff\ufffe', partitionKey: '\ud800' }), late(2)];
    await new JsonlSideOutput(path).send(messages);
    const text = readFileSync(path, 'utf8');
    expect(isXmlSafe(text)).toBe(true);
    expect(text).toBe(messages.map((m) => `${sideOutputBody(m)}\n`).join(''));
  });
});

describe('an SQS sender fault is not retried and does not fail the record', () => {
  it('sends the refused message again in a minimal form, once, and reports no failure and no retry', async () => {
    // Refuse full bodies (those carrying data), accept the minimal ones: as for a message over the queue's size limit.
    sqsMock.on(SendMessageBatchCommand).callsFake(answer((body) => body.includes('"data"'), 'MessageTooLong'));
    const message = rejected(7, { partitionKey: 'pk-7', reason: 'schema: type: Invalid option' });
    const out = await sink().send([message, late(8, { key: 'u\u00e9' })]);
    expect(out).toMatchObject({ sent: 2, failedIds: [], retries: 0, degraded: 2 });
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    const degraded = calls[1]!.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!));
    expect(degraded[0]).toEqual({
      kind: 'rejected',
      id: message.id,
      pipeline: 'clickstream',
      source: 'shardId-000000000000',
      sequence: '7',
      reason: 'schema: type: Invalid option',
      arrivalTime: 1,
      partitionKeyBase64: Buffer.from('pk-7').toString('base64'),
      degraded: true,
      fault: expect.stringMatching(/^MessageTooLong: /),
    });
    expect(degraded[1]).toMatchObject({
      kind: 'late',
      id: late(8).id,
      window: 'perMinute',
      start: 0,
      end: 60_000,
      keyBase64: Buffer.from('u\u00e9').toString('base64'),
      degraded: true,
    });
    expect(degraded[1]).not.toHaveProperty('data');
    expect(calls[1]!.args[0].input.Entries![0]!.MessageAttributes?.['streamfold-id']?.StringValue).toBe(message.id);
  });

  it('fails a message only when SQS refuses its minimal form too (a queue setting, not the record: retrying is right)', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer(() => true, 'KmsDisabled'));
    const out = await sink().send([rejected(1)]);
    expect(out.failedIds).toEqual([rejected(1).id]);
    expect(out.retries).toBe(0);
    expect(out.errors[0]?.message).toMatch(/KmsDisabled/);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it('splits a batch SQS refuses as too long, and degrades the one message that is', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: Entry[] }) => {
      if (input.Entries.some((e) => e.MessageBody.includes('HUGE'))) {
        throw Object.assign(new Error('Batch requests cannot be longer than 262144 bytes (simulated)'), {
          name: 'BatchRequestTooLong',
          $fault: 'client',
        });
      }
      return answer(() => false)(input);
    });
    const out = await sink().send([rejected(1), rejected(2, { data: 'HUGE' }), rejected(3), rejected(4)]);
    expect(out).toMatchObject({ sent: 4, failedIds: [], retries: 0, degraded: 1 });
  });

  it('still retries transient entry failures (SenderFault false)', async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: Entry[] }) => {
      call++;
      return call === 1
        ? {
            Successful: [],
            Failed: input.Entries.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError' })),
          }
        : answer(() => false)(input);
    });
    const out = await sink().send([rejected(1)]);
    expect(out).toMatchObject({ sent: 1, failedIds: [], retries: 1, degraded: 0 });
  });
});
