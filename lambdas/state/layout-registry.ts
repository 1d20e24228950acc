import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type LayoutDescriptor, parseDescriptor } from '../../core';
import { StreamfoldError } from '../../core/errors';
import { isConditionalCheckFailed, storeCall } from './retry';
import { LAYOUT_PARTITION, LAYOUT_SORT_PREFIX, STATE_ATTR } from './tables';
import { UsageMeter } from './usage';

/** A state item names a layout fingerprint the registry does not hold (deleted, or written by another program). */
export class UnknownLayoutError extends StreamfoldError {
  override readonly name = 'UnknownLayoutError';
  readonly code = 'UNKNOWN_LAYOUT';
  constructor(
    readonly fingerprint: string,
    readonly tableName: string,
  ) {
    super(
      `State layout ${JSON.stringify(fingerprint)} is not in the layout registry of table ${JSON.stringify(tableName)} ` +
        `(item pk ${JSON.stringify(LAYOUT_PARTITION)}, sk ${JSON.stringify(`${LAYOUT_SORT_PREFIX}${fingerprint}`)}): ` +
        'the state cannot be read by name, and is never read by position. Restore the item (the lock file of the ' +
        'definition that wrote it holds the descriptor under "layouts"), or deploy that definition again.',
    );
  }
}

/** Options of {@link LayoutRegistry}. */
export interface LayoutRegistryOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The state table (registry items sit under pk {@link LAYOUT_PARTITION}). */
  readonly tableName: string;
  /** Layouts known without reading the table (the running definition's; a lock file's history). */
  readonly known?: readonly LayoutDescriptor[];
  /** Where the capacity of its calls is counted. @default a meter of its own ({@link LayoutRegistry.takeUsage}) */
  readonly usage?: UsageMeter;
}

/** Primary key of the registry item of a layout fingerprint. */
export function layoutItemKey(fingerprint: string) {
  return { [STATE_ATTR.pk]: { S: LAYOUT_PARTITION }, [STATE_ATTR.sk]: { S: `${LAYOUT_SORT_PREFIX}${fingerprint}` } };
}

/**
 * The state table's layout registry (core/evolution): one small item per state layout, written once (conditional
 * `attribute_not_exists`) by the first writer of that layout, read once per container for an unknown fingerprint.
 * State items carry only the 8-character fingerprint, so names are not paid for in every write.
 *
 * Keep one per container: what it read and registered is cached for the container's life (descriptors never change:
 * a fingerprint is the hash of its descriptor).
 */
export class LayoutRegistry {
  readonly #o: LayoutRegistryOptions;
  readonly #known = new Map<string, LayoutDescriptor>();
  readonly #registered = new Set<string>();
  /** Calls in flight, shared by the keys of a commit that need the same layout. */
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #usage: UsageMeter;

  constructor(options: LayoutRegistryOptions) {
    this.#o = options;
    this.#usage = options.usage ?? new UsageMeter();
    for (const d of options.known ?? []) this.#known.set(d.fingerprint, d);
  }

  /** The descriptor of `fingerprint` when known (read or given); a lookup for `stateUnder`. */
  readonly lookup = (fingerprint: string): LayoutDescriptor | undefined => this.#known.get(fingerprint);

  /** True when `fingerprint` is known to be in the table's registry (so states written under it can be read). */
  isRegistered(fingerprint: string): boolean {
    return this.#registered.has(fingerprint);
  }

  /**
   * Make sure the table's registry holds `descriptor` before any state is written under it: read its item, and put
   * it (`attribute_not_exists`) when absent. Concurrent writers of the same layout are harmless (same content).
   */
  register(descriptor: LayoutDescriptor): Promise<void> {
    return this.#once(`register#${descriptor.fingerprint}`, () => this.#register(descriptor));
  }

  async #register(descriptor: LayoutDescriptor): Promise<void> {
    const fingerprint = descriptor.fingerprint;
    if (this.#registered.has(fingerprint)) return;
    this.#known.set(fingerprint, descriptor);
    if (await this.#read(fingerprint)) {
      this.#registered.add(fingerprint);
      return;
    }
    try {
      const out = await storeCall('PutItem (layout registry)', () =>
        this.#o.client.send(
          new PutItemCommand({
            TableName: this.#o.tableName,
            Item: { ...layoutItemKey(fingerprint), [STATE_ATTR.layout]: { S: JSON.stringify(descriptor) } },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': STATE_ATTR.pk },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      this.#usage.write(out.ConsumedCapacity?.CapacityUnits ?? 1);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      this.#usage.write(1); // another writer registered it first (a failed condition is still charged)
    }
    this.#registered.add(fingerprint);
  }

  /**
   * Read the descriptors of `fingerprints` from the table's registry (consistent reads).
   * @throws UnknownLayoutError when one is not there.
   */
  async fetch(fingerprints: readonly string[]): Promise<void> {
    for (const fingerprint of new Set(fingerprints)) {
      if (this.#known.has(fingerprint)) continue;
      await this.#once(`fetch#${fingerprint}`, async () => {
        const descriptor = await this.#read(fingerprint);
        if (!descriptor) throw new UnknownLayoutError(fingerprint, this.#o.tableName);
        this.#known.set(fingerprint, descriptor);
        this.#registered.add(fingerprint);
      });
    }
  }

  /** Run `work` once at a time per name (concurrent callers share it; a failure is not cached). */
  #once(name: string, work: () => Promise<void>): Promise<void> {
    let running = this.#inflight.get(name);
    if (!running) {
      running = work().finally(() => this.#inflight.delete(name));
      this.#inflight.set(name, running);
    }
    return running;
  }

  /** Capacity used by the registry since the last call, then reset (when it has a meter of its own). */
  takeUsage() {
    return this.#usage.take();
  }

  async #read(fingerprint: string): Promise<LayoutDescriptor | undefined> {
    const out = await storeCall('GetItem (layout registry)', () =>
      this.#o.client.send(
        new GetItemCommand({
          TableName: this.#o.tableName,
          Key: layoutItemKey(fingerprint),
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    this.#usage.read(out.ConsumedCapacity?.CapacityUnits ?? 1);
    const text = out.Item?.[STATE_ATTR.layout]?.S;
    if (text === undefined) return undefined;
    const descriptor = parseDescriptor(JSON.parse(text));
    if (descriptor.fingerprint !== fingerprint) {
      throw new Error(`layout registry item ${fingerprint} holds the descriptor of ${descriptor.fingerprint}`);
    }
    return descriptor;
  }
}
