// The SNS sink's message bodies. SNS hands them to SQS subscriptions, which refuse any body holding a character
// outside the XML set (U+FFFE, U+FFFF, C0 controls): a fault no embedded engine reproduces, so the client here is a
// hand-written fake that records the PublishBatch input.
import type { PublishBatchCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../../lambdas/sinks/messages';
import { SnsSink } from '../../../lambdas/sinks/sns-sink';

/** True when `text` holds a character outside the XML character set (lone surrogates aside). */
const hasNonXml = (text: string) =>
  [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff;
  });

describe('SnsSink', () => {
  it('publishes XML-safe JSON that parses to the message, whatever characters a value carries', async () => {
    const sent: PublishBatchCommand[] = [];
    const sink = new SnsSink({
      topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      client: {
        send: async (command: PublishBatchCommand) => {
          sent.push(command);
          return { Failed: [], Successful: [] };
        },
      } as never,
    });
    const alert: AlertMessage = {
      kind: 'alert',
      id: 'a1',
      pipeline: 'p',
      alert: 'bot',
      window: 'perMinute',
      key: 'user-1',
      start: 0,
      end: 60_000,
      values: { lastPage: 'a\uFFFFb\uFFFE', note: 'bell\u0007' },
    };
    const outcome = await sink.send([alert]);
    expect(outcome.failed).toEqual([]);
    const body = sent[0]!.input.PublishBatchRequestEntries![0]!.Message!;
    expect(hasNonXml(body)).toBe(false);
    expect(JSON.parse(body)).toEqual(alert);
  });
});
