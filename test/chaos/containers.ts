// Warm containers of the processor function: Lambda hands each invocation of a lane to any free execution
// environment, so a shard's consecutive batches land on containers that last saw the shard earlier (their caches of
// items and checkpoints are stale). A pool of handler instances, each with its own caches, picked by the seed.
import type { Context } from 'aws-lambda';
import { draw } from './fault-layer';

/** A handler instance (one Lambda container) as the driver sees it. */
export interface DriverHandler {
  invoke(event: unknown, context: Context): Promise<unknown>;
  /** Start an invocation: number it and say whether faults may be injected in it. */
  begin(invocation: number, faults: boolean): void;
  /** True when the process crashed during the last invocation (Lambda sees a function error). */
  readonly crashed: boolean;
}

/** Counters of the pool. */
export interface PoolStats {
  /** Containers created (cold starts: the first of each slot, scale-outs and replacements). */
  coldStarts: number;
  /** Invocations that went to a container which had seen the source before, but not its latest batch. */
  staleHandoffs: number;
  /** Most containers busy at once. */
  peakBusy: number;
}

interface Slot {
  handler: DriverHandler | undefined;
  busy: boolean;
  /** Sources this container processed (its caches hold their items and, in a buggy build, their checkpoints). */
  seen: Set<string>;
}

/** A container taken from the pool for one invocation. */
export interface Lease {
  readonly handler: DriverHandler;
  readonly slot: number;
}

/**
 * `size` warm containers (created on first use). An invocation goes to a free container chosen by the seed; when all
 * are busy, Lambda scales out (a new container joins the pool).
 */
export class ContainerPool {
  readonly #slots: Slot[];
  readonly #seed: number;
  readonly #make: () => DriverHandler;
  readonly #lastSlot = new Map<string, number>();
  readonly stats: PoolStats = { coldStarts: 0, staleHandoffs: 0, peakBusy: 0 };

  constructor(size: number, seed: number, make: () => DriverHandler) {
    this.#slots = Array.from({ length: Math.max(1, size) }, () => ({
      handler: undefined,
      busy: false,
      seen: new Set<string>(),
    }));
    this.#seed = seed;
    this.#make = make;
  }

  /** A free container for an invocation of `source` (labelled for the seeded choice). */
  acquire(label: string, source: string): Lease {
    let free = this.#slots.map((s, i) => (s.busy ? -1 : i)).filter((i) => i >= 0);
    if (free.length === 0) {
      this.#slots.push({ handler: undefined, busy: false, seen: new Set() });
      free = [this.#slots.length - 1];
    }
    const index = free[Math.floor(draw(this.#seed, `container|${label}`) * free.length)]!;
    const slot = this.#slots[index]!;
    if (!slot.handler) {
      slot.handler = this.#make();
      this.stats.coldStarts++;
    }
    if (slot.seen.has(source) && this.#lastSlot.get(source) !== index) this.stats.staleHandoffs++;
    slot.seen.add(source);
    this.#lastSlot.set(source, index);
    slot.busy = true;
    this.stats.peakBusy = Math.max(this.stats.peakBusy, this.#slots.filter((s) => s.busy).length);
    return { handler: slot.handler, slot: index };
  }

  /** Give the container back; `replace` when it crashed or was recycled (the next use starts cold). */
  release(lease: Lease, replace: boolean): void {
    const slot = this.#slots[lease.slot]!;
    slot.busy = false;
    if (replace) {
      slot.handler = undefined;
      slot.seen = new Set();
    }
  }
}
