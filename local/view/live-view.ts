import { createLogUpdate } from 'log-update';
import type { RuntimeSnapshot } from '../runtime/snapshot';
import { type RenderOptions, renderFrame, renderLogLine } from './render';

/** Options of {@link LiveView}. */
export interface LiveViewOptions extends RenderOptions {
  /** Where to draw. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /** Redraw in place (log-update) when true; plain log lines when false. @default stream.isTTY */
  tty?: boolean;
  /** Refresh period on a TTY. @default 1000 */
  intervalMs?: number;
  /** Period of plain log lines without a TTY. @default 5000 */
  logIntervalMs?: number;
}

/**
 * The live view of a local run: on a TTY, a frame redrawn in place every second (log-update, cli-table3,
 * picocolors); otherwise one plain log line every few seconds.
 */
export class LiveView {
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly update: ReturnType<typeof createLogUpdate> | undefined;

  constructor(
    private readonly source: () => RuntimeSnapshot,
    private readonly options: LiveViewOptions = {},
  ) {
    this.stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.update = this.tty ? createLogUpdate(this.stream, { showCursor: true }) : undefined;
  }

  /** Draw now and then periodically. */
  start(): void {
    if (this.timer) return;
    this.render();
    const period = this.tty ? (this.options.intervalMs ?? 1000) : (this.options.logIntervalMs ?? 5000);
    this.timer = setInterval(() => this.render(), period);
    this.timer.unref();
  }

  /** Print a line above the view (kept on screen). */
  log(line: string): void {
    if (this.update) {
      this.update.clear();
      this.stream.write(`${line}\n`);
      if (this.timer) this.render();
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Draw one last frame (or line) and leave it on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.render();
    this.update?.done();
  }

  private render(): void {
    const snapshot = this.source();
    if (this.update) this.update(renderFrame(snapshot, this.options));
    else this.stream.write(`${renderLogLine(snapshot)}\n`);
  }
}
