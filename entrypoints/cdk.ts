/**
 * `streamfold/cdk`: the CDK side. `StreamfoldPipeline` (one pipeline's whole deployment, usable in any stack),
 * `StreamfoldStack` (the same in a stack of its own), `addPipelineStacks` (one stack per pipeline file of a folder),
 * `settingsFromContext` (cdk.json context over the definition's `deploy` section) and the parts they are built from.
 * Needs `aws-cdk-lib` and `constructs` (peer dependencies).
 */
export * from '../lib';
