/** A generator option is out of range or the options contradict each other. */
export class GeneratorOptionsError extends Error {
  override name = 'GeneratorOptionsError';
  constructor(
    /** The option name. */
    readonly option: string,
    /** The rejected value. */
    readonly value: unknown,
    /** What is accepted. */
    readonly expected: string,
  ) {
    super(`Generator option ${option} = ${JSON.stringify(value)} is invalid: expected ${expected}.`);
  }
}
