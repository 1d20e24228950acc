/**
 * The CDK app: one stack per pipeline exported from pipelines/*.ts (the reference clickstream pipeline:
 * `streamfold-clickstream`), settings from each definition's `deploy` section overridden by cdk.json context or
 * `-c key=value` (see lib/context-settings.ts), checked by cdk-nag's AwsSolutions pack. It imports streamfold as a
 * user's app does (`streamfold/cdk`, resolved to this repository by tsconfig.json `paths`).
 *
 *   npx cdk synth                      # defaults: Kinesis on-demand
 *   npx cdk synth -c ingestion=msk     # MSK Serverless
 */
import { App } from 'aws-cdk-lib';
import { addPipelineStacks } from 'streamfold/cdk';

const app = new App();
await addPipelineStacks(app, { dir: new URL('../pipelines/', import.meta.url) });
app.synth();
