/**
 * Defaults of the deployed functions, shared by the CDK constructs (which deploy them) and the local cost meter (which
 * prices what a run would cost at these sizes). Plain constants: the CDK app may import this file.
 */
export const FUNCTION_DEFAULTS = {
  /** Processor memory, MB (lib/pipeline-processor.ts `memorySize`). */
  processorMemoryMb: 1024,
  /** Records per processor invocation (the Kinesis event source mapping's `batchSize`). */
  processorBatchSize: 500,
  /** Emitter and closer memory, MB (lib/emission.ts `memorySize`). */
  emissionMemoryMb: 512,
  /** Stream records per emitter invocation (the DynamoDB stream event source mapping's `batchSize`). */
  emitterBatchSize: 100,
  /** How often EventBridge Scheduler runs the closer, minutes (lib/emission.ts `closerInterval`). */
  closerIntervalMinutes: 1,
} as const;
