export type { CheckpointInput } from './checkpoints';
export { CheckpointStore, type PutCheckpointResult } from './checkpoints';
export { ClaimItems, claimItemKey } from './claim-items';
export {
  type Checkpoint,
  COMPRESS_STATE_OVER,
  decodeApplied,
  decodeStateAttribute,
  encodeStateAttribute,
  fenceKey,
  fromStateItem,
  type StateRecord,
  stateKey,
} from './codec';
export * from './due-index';
export { ensureStateTables, ensureTable } from './ensure-tables';
export * from './errors';
export { itemSize, writeUnitsFor } from './item-size';
export * from './sequence';
export * from './state-store';
export * from './tables';
export type { CapacityUsage } from './usage';
export * from './watermark';
