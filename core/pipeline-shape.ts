import type { Pipeline } from './definition';

/**
 * True when `value` looks like what `definePipeline` returns (windows and aggregates arrays, a `keyOf` function): how
 * the CLI and the CDK app find the pipelines a module exports.
 */
export function looksLikePipeline(value: unknown): value is Pipeline {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.windows) && Array.isArray(v.aggregates) && typeof v.keyOf === 'function';
}
