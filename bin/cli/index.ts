/**
 * The `streamfold` command line. `bin/streamfold.js` loads this file through tsx and calls {@link main}.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands';
import type { CliContext, GlobalOptions } from './context';
import { CliError } from './errors';
import { PACKAGE_INFO } from './package-info';

export type { CliContext, RegisterCommand } from './context';
export * from './errors';
export { type FileLinesOptions, fileLines, type LineSource } from './line-source';
export {
  defaultPipelineFile,
  type LoadedPipeline,
  loadPipeline,
  looksLikePipeline,
  PIPELINES_DIR,
} from './load-pipeline';
export {
  REPLAY_FILES,
  type ReplayFilesSummary,
  type ReplayToFilesOptions,
  replayToFiles,
  writeOutputs,
} from './replay-files';

const VERSION = PACKAGE_INFO.version;

/** Build the commander program with every command of {@link COMMANDS}. */
export function buildProgram(context: CliContext): Command {
  const program = new Command('streamfold')
    .description('Real-time event pipelines on AWS, serverless: one definition, exactly-once window state.')
    .version(VERSION)
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({ writeOut: context.stdout, writeErr: context.stderr })
    .showHelpAfterError('(run with --help for usage)');
  for (const register of COMMANDS) register(program, context);
  return program;
}

const defaultContext = (): CliContext => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
});

/**
 * Run the CLI with `argv` (as `process.argv`: node, script, then arguments) and return the exit code: 0 on success,
 * 2 for a usage error or a bad file/definition (message only; stack with `--debug`), 1 for anything unexpected.
 */
export async function main(argv: readonly string[], context: CliContext = defaultContext()): Promise<number> {
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const debug = Boolean((program.opts() as GlobalOptions).debug) || argv.includes('--debug');
    context.stderr(`streamfold: ${describe(error, debug)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

function describe(error: unknown, debug: boolean): string {
  if (!(error instanceof Error)) return String(error);
  if (!debug) return error instanceof CliError ? error.message : `${error.name}: ${error.message}`;
  let text = error.stack ?? error.message;
  for (let cause = error.cause; cause !== undefined; cause = (cause as Error).cause) {
    text += `\ncaused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`;
    if (!(cause instanceof Error)) break;
  }
  return text;
}
