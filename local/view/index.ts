export { clock, count, decimal, millis, minute, perSecond } from './format';
export { LiveView, type LiveViewOptions } from './live-view';
export { progressLine, progressOf, type RenderOptions, renderFrame, renderLogLine, renderSummary } from './render';
