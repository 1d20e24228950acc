/** A schedule of the fault-injection sweep ended with outputs different from the oracle's. */
export class ChaosMismatchError extends Error {
  override readonly name = 'ChaosMismatchError';
  constructor(
    readonly seed: number,
    readonly what: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`schedule ${seed}: ${what} differs from the oracle: ${detail}\n  replay: ${replayCommand(seed)}`, options);
  }
}

/** A schedule could not run to the end (the driver gave up, or an engine call failed outside the fault layer). */
export class ChaosRunError extends Error {
  override readonly name = 'ChaosRunError';
  constructor(
    readonly seed: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`schedule ${seed}: ${message}\n  replay: ${replayCommand(seed)}`, options);
  }
}

/** The one-line command that runs a single schedule again. */
export function replayCommand(seed: number): string {
  return `npm run test:chaos -- --seed ${seed} --schedules 1`;
}
