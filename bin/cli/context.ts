import type { Command } from 'commander';

/** Where a command writes and what it resolves paths against (so tests can run commands in-process). */
export interface CliContext {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

/**
 * A CLI command: one file under `bin/cli/commands/` exporting a function that adds itself to the program with
 * `program.command(...)` (so it inherits the program's output and error settings), plus one line in
 * `bin/cli/commands/index.ts`.
 */
export type RegisterCommand = (program: Command, context: CliContext) => void;

/** The global options (given before or after the command name). */
export interface GlobalOptions {
  readonly debug?: boolean;
}
