import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WindowResult } from '../../core';
import { expandOutbox, type StoredAlert, type StoredKeyState } from '../../lambdas/processor/index';
import type { SideOutputMessage } from '../../lambdas/side-output/index';
import { decodeStateAttribute } from '../../lambdas/state/index';
import type { CallFaultRates } from './schedule';

type DynamoSend = Pick<DynamoDBClient, 'send'>;
type SqsSend = Pick<SQSClient, 'send'>;

/**
 * An error shaped like the SDK's (name set). The fault layer wraps `send`, above the SDK's retry strategy: an injected
 * throttle, service error or timeout is one the SDK already gave up on (lambdas/aws-config.ts), which is what the
 * code under test sees after its client's own retries.
 */
export function sdkError(name: string, message = `injected ${name}`): Error {
  return Object.assign(new Error(message), { name });
}

/** FNV-1a of a string: spreads fault decisions by call identity instead of call order (stable under concurrency). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform draw in [0, 1) for (seed, label): the same label always gets the same draw. */
export function draw(seed: number, label: string): number {
  let t = (fnv1a(label) ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** What the fault layer injected (for the report of a failing schedule). */
export interface InjectedFault {
  readonly process: number;
  readonly invocation: number;
  readonly call: string;
  readonly fault: string;
}

/**
 * One handler "process" (a Lambda container): its clients go through the fault layer; once it crashed every later call
 * fails, as nothing runs in a dead process (calls already on the wire may still land).
 */
export class ChaosProcess {
  dead = false;
  /** Faults are drawn only while enabled (the driver turns them off for a batch that failed too often). */
  enabled = true;
  invocation = 0;
  readonly #occurrences = new Map<string, number>();

  constructor(
    readonly id: number,
    readonly seed: number,
    readonly rates: CallFaultRates,
    readonly injected: InjectedFault[],
  ) {}

  /** Start an invocation (occurrence counts restart: a label names a call within one invocation). */
  begin(invocation: number, enabled: boolean): void {
    this.invocation = invocation;
    this.enabled = enabled;
    this.#occurrences.clear();
  }

  /** The fault for this call, if any: crash/throttle/service error before, or crash/timeout after the real call. */
  decide(
    call: string,
    stateKey?: string,
  ): 'crashBefore' | 'crashAfter' | 'throttle' | 'serviceError' | 'timeoutAfter' | undefined {
    if (!this.enabled) return undefined;
    // A hot partition: in some invocations, writes of some keys throttle on every attempt (the commit of those keys
    // fails after the SDK's retries, so the processor answers with a partial batch failure).
    if (
      stateKey !== undefined &&
      draw(this.seed, `${this.id}|${this.invocation}|hot`) < this.rates.hotKeyInvocations &&
      draw(this.seed, `${this.id}|${this.invocation}|hot|${stateKey}`) < 0.3
    ) {
      return 'throttle';
    }
    const n = (this.#occurrences.get(call) ?? 0) + 1;
    this.#occurrences.set(call, n);
    let x = draw(this.seed, `${this.id}|${this.invocation}|${call}|${n}`);
    for (const fault of ['crashBefore', 'crashAfter', 'throttle', 'serviceError', 'timeoutAfter'] as const) {
      x -= this.rates[fault];
      if (x < 0) return fault;
    }
    return undefined;
  }

  /** Whether the SQS entry with this message id fails in this attempt. */
  failsEntry(messageId: string): boolean {
    if (!this.enabled) return false;
    const n = (this.#occurrences.get(`sqs-entry|${messageId}`) ?? 0) + 1;
    this.#occurrences.set(`sqs-entry|${messageId}`, n);
    return draw(this.seed, `${this.id}|${this.invocation}|sqs-entry|${messageId}|${n}`) < this.rates.sqsEntryFailure;
  }

  log(call: string, fault: string): void {
    this.injected.push({ process: this.id, invocation: this.invocation, call, fault });
  }
}

/** Run `call` through the process's fault decision for `label`. */
async function throughFaults<T>(
  proc: ChaosProcess,
  label: string,
  call: () => Promise<T>,
  stateKey?: string,
): Promise<T> {
  if (proc.dead) throw sdkError('ProcessCrashed', 'the process crashed earlier in this invocation');
  const fault = proc.decide(label, stateKey);
  if (fault) proc.log(label, fault);
  if (fault === 'crashBefore') {
    proc.dead = true;
    throw sdkError('ProcessCrashed');
  }
  if (fault === 'throttle') throw sdkError('ProvisionedThroughputExceededException');
  if (fault === 'serviceError') throw sdkError('InternalServerError');
  const out = await call();
  if (fault === 'crashAfter') {
    proc.dead = true;
    throw sdkError('ProcessCrashed');
  }
  if (fault === 'timeoutAfter') throw sdkError('TimeoutError', 'injected timeout after the call landed');
  return out;
}

/** The identity of a DynamoDB call for fault decisions: command, table, and item key where there is one. */
function dynamoLabel(command: { constructor: { name: string }; input: any }): string {
  const input = command.input ?? {};
  const pk = input.Item?.pk?.S ?? input.Key?.pk?.S ?? '';
  const sk = input.Item?.sk?.S ?? input.Key?.sk?.S ?? '';
  const table = input.TableName ?? Object.keys(input.RequestItems ?? {}).join(',');
  const keys = input.RequestItems
    ? Object.values(input.RequestItems as Record<string, { Keys?: { pk?: { S?: string } }[] }>)
        .flatMap((r) => (r.Keys ?? []).map((k) => k.pk?.S ?? ''))
        .sort()
        .join(',')
    : '';
  return `${command.constructor.name}|${table.replace(/-[0-9a-z]+$/, '')}|${pk}|${sk}|${keys}`;
}

/** A DynamoDB client for one process: the real client behind the fault layer. */
export function chaosDynamo(real: DynamoSend, proc: ChaosProcess): DynamoSend {
  const send = ((command: any) => {
    const item = command.input?.Item;
    const stateKey =
      command.constructor.name === 'PutItemCommand' && item?.sk?.S === 'state' ? (item.pk?.S as string) : undefined;
    return throughFaults(proc, dynamoLabel(command), () => real.send(command), stateKey);
  }) as DynamoSend['send'];
  return { send };
}

/** An SQS client for one process: the real (in-memory) one behind the fault layer, with entry-level failures. */
export function chaosSqs(real: SqsSend, proc: ChaosProcess): SqsSend {
  const send = (async (command: SendMessageBatchCommand) => {
    const entries = command.input.Entries ?? [];
    const ids = entries.map((e) => (JSON.parse(e.MessageBody ?? '{}') as SideOutputMessage).id).join(',');
    return throughFaults(proc, `SendMessageBatch|${command.input.QueueUrl}|${ids}`, async () => {
      const failing = entries.filter((e) =>
        proc.failsEntry((JSON.parse(e.MessageBody ?? '{}') as SideOutputMessage).id),
      );
      const passing = entries.filter((e) => !failing.includes(e));
      const out = (passing.length
        ? await real.send(new SendMessageBatchCommand({ ...command.input, Entries: passing }) as never)
        : { Successful: [], Failed: [] }) as unknown as { Successful: unknown[]; Failed: unknown[] };
      return {
        ...out,
        Failed: [
          ...(out.Failed ?? []),
          ...failing.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'injected' })),
        ],
        $metadata: {},
      };
    });
  }) as unknown as SqsSend['send'];
  return { send };
}

/** Characters outside the XML character set, which SQS refuses in a message body (`InvalidMessageContents`). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * An SQS client that refuses what real SQS refuses: an entry whose body or attribute values hold a character outside
 * the XML character set fails with `InvalidMessageContents` (a sender fault: retrying cannot help); the other entries
 * of the batch go through.
 */
export function strictSqs(real: SqsSend, refused: { count: number }): SqsSend {
  const send = (async (command: SendMessageBatchCommand) => {
    const entries = command.input.Entries ?? [];
    const bad = entries.filter(
      (e) =>
        NOT_XML.test(e.MessageBody ?? '') ||
        Object.values(e.MessageAttributes ?? {}).some((a) => NOT_XML.test(a.StringValue ?? '')),
    );
    if (bad.length === 0) return real.send(command as never);
    refused.count += bad.length;
    const good = entries.filter((e) => !bad.includes(e));
    const out = (good.length
      ? await real.send(new SendMessageBatchCommand({ ...command.input, Entries: good }) as never)
      : { Successful: [], Failed: [] }) as unknown as { Successful: unknown[]; Failed: unknown[] };
    return {
      ...out,
      Failed: [
        ...(out.Failed ?? []),
        ...bad.map((e) => ({
          Id: e.Id,
          SenderFault: true,
          Code: 'InvalidMessageContents',
          Message: 'Invalid characters found (the message body must hold XML characters only)',
        })),
      ],
      $metadata: {},
    };
  }) as unknown as SqsSend['send'];
  return { send };
}

/** Who wrote a state item: a processor container or the closer. */
export type Writer = 'processor' | 'closer';

/**
 * What landed in the state table: of every state write that succeeded, its `r` (finalized results), `a` (alerts),
 * `o` (side-output messages: late entries, state-too-large rejections) and `u` (records dropped as duplicates) —
 * what the table's stream carries to the emitter.
 */
export interface Landed {
  results: WindowResult[];
  alerts: StoredAlert[];
  outbox: SideOutputMessage[];
  duplicates: string[];
  stateWrites: number;
  /** State writes by writer. */
  writes: Record<Writer, number>;
  /** Processor writes that landed on an item the closer wrote last (the re-apply after the closer). */
  afterCloser: number;
  /** The last writer of each key. */
  lastWriter: Map<string, Writer>;
  /** Keys the closer has written. */
  closerKeys: Set<string>;
}

/** An empty landing record. */
export function emptyLanded(): Landed {
  return {
    results: [],
    alerts: [],
    outbox: [],
    duplicates: [],
    stateWrites: 0,
    writes: { processor: 0, closer: 0 },
    afterCloser: 0,
    lastWriter: new Map(),
    closerKeys: new Set(),
  };
}

/**
 * Wrap the real DynamoDB client BELOW the fault layer: every state PutItem the engine accepted is recorded with its
 * `r`, `a`, `o` and `u`, which is what the table's DynamoDB stream carries to the emitter (a write that landed but
 * reported a timeout is recorded: its NEW image is on the stream).
 */
export function landingRecorder(real: DynamoSend, stateTable: string, landed: Landed, writer: Writer): DynamoSend {
  const send = (async (command: any) => {
    const out = await real.send(command);
    const input = command.input;
    if (command.constructor.name === 'PutItemCommand' && input.TableName === stateTable && input.Item?.s) {
      if (input.Item.sk?.S === 'state') {
        const stored = JSON.parse(decodeStateAttribute(input.Item.s)!) as StoredKeyState;
        const key = input.Item.pk.S as string;
        landed.stateWrites++;
        landed.writes[writer]++;
        if (writer === 'processor' && landed.lastWriter.get(key) === 'closer') landed.afterCloser++;
        landed.lastWriter.set(key, writer);
        if (writer === 'closer') landed.closerKeys.add(key);
        landed.results.push(...(stored.r ?? []));
        landed.alerts.push(...(stored.a ?? []));
        landed.outbox.push(...expandOutbox(stored.o ?? []));
        landed.duplicates.push(...(stored.u ?? []));
      }
    }
    return out;
  }) as DynamoSend['send'];
  return { send };
}
