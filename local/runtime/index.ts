export {
  CDK_MAPPING_DEFAULTS,
  type DevMappingOptions,
  type DevRuntime,
  type DevRuntimeOptions,
  type RunSummary,
  startDevRuntime,
} from './dev-runtime';
export { type DriveOptions, driveLines } from './drive';
export {
  type EmissionCounters,
  type EmissionPlugin,
  type EmissionPluginOptions,
  emissionPlugin,
} from './emission-plugin';
export { EmissionFinishError, NoRunningDevError, ResourceSetupError } from './errors';
export { FolderSpillStore } from './folder-spill-store';
export { HotKeys, type KeyCount } from './hot-keys';
export { JsonlSideOutput } from './jsonl-side-output';
export { LatencyReservoir } from './latency';
export { lineKeyOf } from './line-key';
export type { PluginContext, RuntimePlugin } from './plugin';
export { ensureResources, type LocalResources, openShards } from './resources';
export { type RunFile, readRunFile, removeRunFile, runFilePath, writeRunFile } from './run-file';
export { RunMetering } from './run-metering';
export type { AlertLine, RuntimeSnapshot } from './snapshot';
export { type LandedStateWrite, tapStateWrites } from './state-tap';
export { RuntimeStats, type StatsSources } from './stats';
