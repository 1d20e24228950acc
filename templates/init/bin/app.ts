/**
 * The CDK app: one stack per pipeline exported from pipelines/*.ts, named `streamfold-<pipeline name>`. Each pipeline's
 * settings come from its `deploy` section; cdk.json context or `-c key=value` overrides them (`-c batchSize=1000`).
 * cdk-nag's AwsSolutions checks run on every synth.
 */
import { App } from 'aws-cdk-lib';
import { addPipelineStacks } from 'streamfold/cdk';

const app = new App();
await addPipelineStacks(app, { dir: new URL('../pipelines/', import.meta.url) });
app.synth();
