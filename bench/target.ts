/**
 * The contract of a benchmark target. A target is one file in bench/ exporting a {@link BenchTarget}, plus one line
 * in bench/targets.ts. `npm run bench` runs every target and prints a table; `npm run bench -- <target...>` or
 * `--json` prints one JSON object with each target's figures under its name.
 */

/** What a target gets from the runner. */
export interface BenchContext {
  /** Smaller workload for smoke tests (`--quick`): same code paths, figures not meaningful. */
  readonly quick: boolean;
  /** Progress for humans (stderr); never part of the JSON. */
  readonly log: (text: string) => void;
}

/** A target's figures: plain JSON. Put the workload parameters under `workload`. */
export type BenchFigures = { readonly workload: object } & Record<string, unknown>;

/** One benchmark target (engine, writes, latency, bundle...). */
export interface BenchTarget {
  /** Name: the key of its figures in the JSON and the argument that selects it. */
  readonly name: string;
  /** One line saying what it measures. */
  readonly description: string;
  readonly run: (context: BenchContext) => Promise<BenchFigures>;
}
