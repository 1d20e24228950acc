export { type ClickEvent, type ClickEventType, EVENT_TYPES } from './events';
export { type GeneratedItem, type GeneratorRun, type GeneratorSummary, generate, type ItemKind } from './generate';
export { MALFORMATIONS, type Malformation } from './malformed';
export { type GeneratorOptions, resolveGeneratorOptions } from './options';
export { mulberry32, type Prng } from './prng';
export { writeJsonl } from './write-jsonl';
export { zipfSampler } from './zipf';
