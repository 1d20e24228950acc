import type { CostMeter } from './meter';

type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;
type Command = { readonly constructor: { readonly name: string }; readonly input?: unknown };
type Input = Record<string, unknown>;

const utf8 = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
const bytesOf = (data: unknown): number => {
  if (data === undefined || data === null) return 0;
  if (typeof data === 'string') return utf8(data);
  return (data as Uint8Array).byteLength ?? 0;
};

/** Bytes of message attributes as SQS and SNS count them (name, type and value). */
function attributeBytes(attributes: unknown): number {
  let n = 0;
  for (const [name, value] of Object.entries((attributes ?? {}) as Record<string, Record<string, unknown>>)) {
    n += utf8(name) + utf8(value.DataType as string | undefined);
    n += bytesOf(value.StringValue) + bytesOf(value.BinaryValue);
  }
  return n;
}

const lastSegment = (arnOrUrl: unknown) => String(arnOrUrl ?? '').replace(/.*[:/]/, '');

/**
 * A client of Kinesis, Firehose, SQS, SNS, EventBridge, S3 or DynamoDB Streams (anything with `send`) that meters
 * what each call is billed for (./meter.ts), then passes it through unchanged:
 * - Kinesis PutRecord(s): each record's data plus partition key (records the answer reports failed are not billed);
 *   GetRecords: the records read (on-demand retrieval);
 * - Firehose PutRecordBatch / PutRecord: each record's bytes (failed records are not billed);
 * - SQS SendMessage(Batch), SNS Publish(Batch): bodies plus attributes, billed per 64 KB chunk of the call;
 * - EventBridge PutEvents: each entry's detail and fields, per 64 KB chunk;
 * - S3 PutObject / GetObject / ListObjectsV2 / DeleteObject(s);
 * - DynamoDB Streams GetRecords (free when a Lambda trigger reads: counted, priced 0 by ./bill.ts).
 * A failed call is not billed (throttles and service errors are not charged).
 */
export function meteredClient<C extends { send: unknown }>(
  meter: CostMeter,
  component: string,
  client: C,
  /** The service, for a client that is not an SDK client (a stand-in). @default from the SDK client's class */
  service: string = (client as { constructor: { name: string } }).constructor.name,
): C {
  const inner = (client.send as Send).bind(client);
  const send = async (command: Command, ...rest: unknown[]): Promise<unknown> => {
    const name = command.constructor.name;
    const input = (command.input ?? {}) as Input;
    const out = (await inner(command, ...rest)) as Input;
    record(meter, component, service, name, input, out);
    return out;
  };
  return new Proxy(client, {
    get: (target, property, receiver) => (property === 'send' ? send : Reflect.get(target, property, receiver)),
  });
}

/** Kinesis, Firehose and DynamoDB Streams calls; false for another call. */
function recordStream(
  meter: CostMeter,
  component: string,
  service: string,
  name: string,
  input: Input,
  out: Input,
): boolean {
  switch (name) {
    case 'PutRecordsCommand': {
      const failed = (out.Records as { ErrorCode?: string }[] | undefined) ?? [];
      const sizes = ((input.Records as { Data?: unknown; PartitionKey?: string }[]) ?? [])
        .filter((_, i) => failed[i]?.ErrorCode === undefined)
        .map((r) => bytesOf(r.Data) + utf8(r.PartitionKey));
      meter.kinesisPut(component, streamOf(input), sizes);
      return true;
    }
    case 'PutRecordCommand':
      if (service === 'FirehoseClient') {
        meter.firehosePut(component, String(input.DeliveryStreamName), [bytesOf((input.Record as Input)?.Data)]);
      } else {
        meter.kinesisPut(component, streamOf(input), [bytesOf(input.Data) + utf8(input.PartitionKey as string)]);
      }
      return true;
    case 'GetRecordsCommand': {
      const records = (out.Records ?? []) as { Data?: unknown; PartitionKey?: string }[];
      if (service === 'DynamoDBStreamsClient') {
        meter.add(component, 'dynamodb-streams', 'state table stream', { getRecords: 1, records: records.length });
      } else {
        meter.kinesisRead(
          component,
          'stream',
          records.map((r) => bytesOf(r.Data) + utf8(r.PartitionKey)),
        );
      }
      return true;
    }
    case 'PutRecordBatchCommand': {
      const responses = (out.RequestResponses ?? []) as { ErrorCode?: string }[];
      const sizes = ((input.Records as { Data?: unknown }[]) ?? [])
        .filter((_, i) => responses[i]?.ErrorCode === undefined)
        .map((r) => bytesOf(r.Data));
      meter.firehosePut(component, String(input.DeliveryStreamName), sizes);
      return true;
    }
    default:
      return false;
  }
}

/** SQS, SNS and EventBridge calls; false for another call. */
function recordMessage(
  meter: CostMeter,
  component: string,
  _service: string,
  name: string,
  input: Input,
  _out: Input,
): boolean {
  switch (name) {
    case 'SendMessageBatchCommand':
      meter.sqsCall(
        component,
        lastSegment(input.QueueUrl),
        ((input.Entries as Input[]) ?? []).map(
          (e) => utf8(e.MessageBody as string) + attributeBytes(e.MessageAttributes),
        ),
      );
      return true;
    case 'SendMessageCommand':
      meter.sqsCall(component, lastSegment(input.QueueUrl), [
        utf8(input.MessageBody as string) + attributeBytes(input.MessageAttributes),
      ]);
      return true;
    case 'PublishBatchCommand':
      meter.snsCall(
        component,
        lastSegment(input.TopicArn),
        ((input.PublishBatchRequestEntries as Input[]) ?? []).map(
          (e) => utf8(e.Message as string) + attributeBytes(e.MessageAttributes),
        ),
      );
      return true;
    case 'PublishCommand':
      meter.snsCall(component, lastSegment(input.TopicArn), [
        utf8(input.Message as string) + attributeBytes(input.MessageAttributes),
      ]);
      return true;
    case 'PutEventsCommand':
      meter.eventBridgeCall(
        component,
        'events',
        ((input.Entries as Input[]) ?? []).map(
          (e) =>
            utf8(e.Detail as string) +
            utf8(e.DetailType as string) +
            utf8(e.Source as string) +
            ((e.Resources as string[] | undefined) ?? []).reduce((n, r) => n + utf8(r), 0),
        ),
      );
      return true;
    default:
      return false;
  }
}

/** S3 calls; false for another call. */
function recordObject(
  meter: CostMeter,
  component: string,
  _service: string,
  name: string,
  input: Input,
  _out: Input,
): boolean {
  switch (name) {
    case 'PutObjectCommand':
      meter.s3(component, String(input.Bucket), 'put');
      return true;
    case 'GetObjectCommand':
      meter.s3(component, String(input.Bucket), 'get');
      return true;
    case 'ListObjectsV2Command':
      meter.s3(component, String(input.Bucket), 'list');
      return true;
    case 'DeleteObjectCommand':
    case 'DeleteObjectsCommand':
      // Deletes are free on S3; counted for the record.
      meter.s3(component, String(input.Bucket), 'delete');
      return true;
    default:
      return false;
  }
}

/** Meter one call by its command name (describe/list calls of the control plane are not billed per request). */
function record(meter: CostMeter, component: string, service: string, name: string, input: Input, out: Input): void {
  for (const recorder of [recordStream, recordMessage, recordObject]) {
    if (recorder(meter, component, service, name, input, out)) return;
  }
}

const streamOf = (input: Input) => String(input.StreamName ?? lastSegment(input.StreamARN));
