/**
 * The CDK app: the reference pipeline's stack (pipelines/clickstream.ts), settings from cdk.json context or
 * `-c key=value` (see lib/context-settings.ts), checked by cdk-nag's AwsSolutions pack.
 *
 *   npx cdk synth                      # defaults: Kinesis on-demand
 *   npx cdk synth -c ingestion=msk     # MSK Serverless
 */
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StreamfoldStack, settingsFromContext } from '../lib';
import { clickstream } from '../pipelines/clickstream';

const app = new App();
new StreamfoldStack(app, `streamfold-${clickstream.name}`, {
  description: `streamfold pipeline ${clickstream.name}`,
  pipeline: clickstream,
  definition: {
    path: fileURLToPath(new URL('../pipelines/clickstream.ts', import.meta.url)),
    exportName: 'clickstream',
  },
  ...settingsFromContext(app.node),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
