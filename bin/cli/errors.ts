/**
 * Errors of the streamfold CLI. Every {@link CliError} is a problem with what the user gave (a flag, a file, a
 * pipeline definition): the CLI prints its message without a stack trace (unless `--debug`) and exits with code 2.
 */

import { StreamfoldError } from '../../core/errors';

/** A problem with the command line or the files it names; exits with {@link CliError.exitCode}. */
export class CliError extends StreamfoldError {
  override readonly name: string = 'CliError';
  readonly code: string = 'CLI_ERROR';
  /** Process exit code for this error. */
  readonly exitCode: number = 2;
}

/** The pipeline file is missing, does not load, exports no pipeline, or its definition is invalid. */
export class PipelineLoadError extends CliError {
  override readonly name = 'PipelineLoadError';
  override readonly code = 'PIPELINE_LOAD';
  /** The pipeline file as given on the command line. */
  readonly file: string;
  /** The definition setting at fault (from a DefinitionError), when there is one. */
  readonly setting: string | undefined;
  constructor(file: string, message: string, options?: { cause?: unknown; setting?: string }) {
    super(message, { cause: options?.cause });
    this.file = file;
    this.setting = options?.setting;
  }
}

/** An input file is missing or is not a regular file. */
export class InputFileError extends CliError {
  override readonly name = 'InputFileError';
  override readonly code = 'INPUT_FILE';
  /** The file as given on the command line. */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/** A command cannot do what was asked (a missing resource, or work left incomplete). */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  override readonly code = 'USAGE';
}
