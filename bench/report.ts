import Table from 'cli-table3';
import type { MachineInfo } from './machine';

/** The one JSON object a benchmark run prints: machine, time, then each target's figures under its name. */
export interface BenchReport {
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly [target: string]: unknown;
}

const fmt = (value: unknown): string => {
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
};

/** Render a report as a readable table: one row per figure, workload and machine last. */
export function renderTable(report: BenchReport, targets: readonly string[]): string {
  const table = new Table({
    head: ['target', 'figure', 'value'],
    wordWrap: true,
    colWidths: [10, 26, 80],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const name of targets) {
    const figures = (report[name] ?? {}) as Record<string, unknown>;
    for (const [figure, value] of Object.entries(figures)) {
      if (figure === 'workload' || figure === 'passesMs') continue;
      table.push([name, figure, fmt(value)]);
    }
    const workload = figures.workload as Record<string, unknown> | undefined;
    if (workload) {
      table.push([
        name,
        'workload',
        Object.entries(workload)
          .map(([k, v]) => `${k}=${fmt(v)}`)
          .join(', '),
      ]);
    }
  }
  const m = report.machine;
  return `${table.toString()}\n${m.cpuModel} ×${m.cpuCount}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform} ${m.arch}\n`;
}
