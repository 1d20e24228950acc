/** DynamoDB capacity consumed, as reported with `ReturnConsumedCapacity: 'TOTAL'`. */
export interface CapacityUsage {
  readUnits: number;
  writeUnits: number;
}

/** Running totals of consumed capacity; `take()` returns and resets them (e.g. once per invocation). */
export class UsageMeter {
  #read = 0;
  #write = 0;

  /** Add read units. */
  read(units: number): void {
    this.#read += units;
  }

  /** Add write units. */
  write(units: number): void {
    this.#write += units;
  }

  /** Totals since the last take, then reset. */
  take(): CapacityUsage {
    const usage = { readUnits: this.#read, writeUnits: this.#write };
    this.#read = 0;
    this.#write = 0;
    return usage;
  }
}
