import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import pc from 'picocolors';
import { describeRunBill } from '../cost/run-bill';
import type { RuntimeSnapshot } from '../runtime/snapshot';
import { clock, count, decimal, millis, minute, perSecond } from './format';

/** Rendering options. */
export interface RenderOptions {
  /** Use colors. @default picocolors' detection */
  color?: boolean;
  /** Width of the progress bar in characters. @default 30 */
  barWidth?: number;
}

const colors = (options: RenderOptions) => pc.createColors(options.color ?? pc.isColorSupported);

/** Share of a bounded run done (the larger of events and time), or undefined for an unbounded run. */
export function progressOf(s: RuntimeSnapshot): number | undefined {
  const shares: number[] = [];
  if (s.target.events !== undefined && s.target.events > 0) shares.push(s.processed / s.target.events);
  if (s.target.durationMs !== undefined && s.target.durationMs > 0) shares.push(s.elapsedMs / s.target.durationMs);
  if (shares.length === 0) return undefined;
  return Math.min(1, Math.max(0, ...shares));
}

/** A progress bar line for a bounded run (cli-progress's bar formatter), or undefined. */
export function progressLine(s: RuntimeSnapshot, options: RenderOptions = {}): string | undefined {
  const progress = progressOf(s);
  if (progress === undefined) return undefined;
  const width = options.barWidth ?? 30;
  const bar = cliProgress.Format.BarFormat(progress, {
    barsize: width,
    barCompleteString: '█'.repeat(width),
    barIncompleteString: '░'.repeat(width),
    barGlue: '',
  });
  const parts = [`${bar} ${String(Math.floor(progress * 100)).padStart(3)}%`];
  if (s.target.events !== undefined) parts.push(`${count(s.processed)} / ${count(s.target.events)} events`);
  if (s.target.durationMs !== undefined) parts.push(`${clock(s.elapsedMs)} / ${clock(s.target.durationMs)}`);
  return parts.join('  ');
}

/** The figures table shared by the live frame and the summary. */
function figuresTable(s: RuntimeSnapshot, options: RenderOptions, final: boolean): string {
  const c = colors(options);
  const table = new Table({ style: { head: [], border: [] }, colWidths: [30, 14, 31, 14] });
  const produced = s.produced === undefined ? 'external' : count(s.produced);
  const warn = (text: string, bad: boolean) => (bad ? c.yellow(text) : text);
  table.push(
    [c.bold('events/s produced'), perSecond(s.producedPerSec), c.bold('produced'), produced],
    [c.bold('events/s processed'), perSecond(s.processedPerSec), c.bold('processed'), count(s.processed)],
    [
      c.bold(final ? 'max iterator age' : 'iterator age (behind)'),
      warn(millis(final ? s.maxIteratorAgeMs : s.iteratorAgeMs), (final ? s.maxIteratorAgeMs : s.iteratorAgeMs) > 5000),
      c.bold('ms behind latest (GetRecords)'),
      millis(final ? s.maxMillisBehindLatest : s.millisBehindLatest),
    ],
    [
      c.bold('batches'),
      count(s.batches),
      c.bold('retries / bisects'),
      warn(`${count(s.retries)} / ${count(s.bisects)}`, s.retries > 0),
    ],
    [c.bold('applied'), c.green(count(s.applied)), c.bold('duplicates dropped'), count(s.duplicates)],
    [c.bold('rejected'), warn(count(s.rejected), s.rejected > 0), c.bold('late'), warn(count(s.late), s.late > 0)],
    [c.bold('write units / 1,000 events'), decimal(s.writeUnitsPer1000), c.bold('write units'), count(s.writeUnits)],
    [c.bold('latency p50 (event→state)'), millis(s.latencyP50Ms), c.bold('latency p99'), millis(s.latencyP99Ms)],
    [
      c.bold('alerts fired'),
      s.alertsTotal > 0 ? c.red(count(s.alertsTotal)) : '0',
      c.bold('windows finalized'),
      count(s.windowsFinalized),
    ],
  );
  if (s.discarded > 0 || s.functionErrors > 0) {
    table.push([
      c.bold('function errors'),
      c.red(count(s.functionErrors)),
      c.bold('discarded (failed.jsonl)'),
      c.red(count(s.discarded)),
    ]);
  }
  if (s.cleanEvents) {
    table.push([
      c.bold('clean event rows'),
      count(s.cleanEvents.received),
      c.bold('written / buffered'),
      `${count(s.cleanEvents.delivered)} / ${count(s.cleanEvents.buffered)}`,
    ]);
  }
  if (s.warehouse) {
    table.push([
      c.bold('raw objects'),
      count(s.warehouse.objects),
      c.bold('delivered / buffered'),
      `${count(s.warehouse.delivered)} / ${count(s.warehouse.buffered)}`,
    ]);
  }
  return table.toString();
}

/** The live view (TTY): status line, progress bar, figures, hottest keys, latest alerts. */
export function renderFrame(s: RuntimeSnapshot, options: RenderOptions = {}): string {
  const c = colors(options);
  const lines: string[] = [];
  lines.push(`${c.cyan(c.bold('streamfold dev'))}  ${s.phase}  ${clock(s.elapsedMs)}  ${c.dim('(Ctrl-C to stop)')}`);
  const bar = progressLine(s, options);
  if (bar) lines.push(bar);
  lines.push(figuresTable(s, options, false));
  const keys = new Table({ head: [c.bold('hottest keys'), c.bold('records')], style: { head: [], border: [] } });
  for (const k of s.hotKeys) keys.push([k.key, count(k.count)]);
  if (s.hotKeys.length === 0) keys.push([c.dim('none yet'), '']);
  const alerts = new Table({
    head: [c.bold('latest alerts'), c.bold('key'), c.bold('window')],
    style: { head: [], border: [] },
  });
  for (const a of s.alerts) alerts.push([c.red(a.alert), a.key, `${a.window} ${minute(a.start)}`]);
  if (s.alerts.length === 0) alerts.push([c.dim('none yet'), '', '']);
  lines.push(keys.toString());
  lines.push(alerts.toString());
  for (const line of s.pluginLines) lines.push(line);
  return lines.join('\n');
}

/** One plain log line (no TTY). */
export function renderLogLine(s: RuntimeSnapshot): string {
  const parts = [
    `[${clock(s.elapsedMs)}]`,
    `produced ${s.produced === undefined ? 'external' : count(s.produced)} (${perSecond(s.producedPerSec)})`,
    `processed ${count(s.processed)} (${perSecond(s.processedPerSec)})`,
    `behind ${millis(s.iteratorAgeMs)}`,
    `batches ${count(s.batches)}`,
    `retries ${count(s.retries)}`,
    `dup ${count(s.duplicates)}`,
    `rejected ${count(s.rejected)}`,
    `late ${count(s.late)}`,
    `WU/1k ${decimal(s.writeUnitsPer1000)}`,
    `alerts ${count(s.alertsTotal)}`,
  ];
  const top = s.hotKeys[0];
  if (top) parts.push(`hottest ${top.key} (${count(top.count)})`);
  const progress = progressOf(s);
  if (progress !== undefined) parts.push(`${Math.floor(progress * 100)}%`);
  return parts.join(' | ');
}

/** The summary printed at the end of a run. */
export function renderSummary(s: RuntimeSnapshot, options: RenderOptions = {}): string {
  const c = colors(options);
  const lines = [c.bold(`streamfold dev summary (${clock(s.elapsedMs)})`), figuresTable(s, options, true)];
  for (const line of s.pluginLines) lines.push(line);
  if (s.bill) lines.push(...describeRunBill(s.bill));
  return lines.join('\n');
}
