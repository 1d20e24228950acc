/**
 * Environment variables and metric names of the emitter and closer Lambdas: defined once in core/contract.ts (the CDK
 * construct lib/emission.ts sets them from the same constants); the table names are `ENV` there.
 */
export { EMISSION_ENV, EMISSION_METRICS } from '../../core/contract';
