import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges AwsSolutions-IAM5 (wildcard) findings for the given resource ARNs (tokens allowed) on `scope`, each
 * with the same written reason. The finding ids are computed the way cdk-nag computes them, so each
 * acknowledgement covers exactly one statement resource, not the whole rule.
 */
export function acknowledgeWildcardResources(scope: IConstruct, arns: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const arn of arns) {
    const id = `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(arn))}]`;
    Validations.of(scope).acknowledge({ id, reason });
  }
}

/** Acknowledges AwsSolutions-IAM5 findings for wildcard actions (e.g. `kms:GenerateDataKey*`) on `scope`. */
export function acknowledgeWildcardActions(scope: IConstruct, actions: readonly string[], reason: string): void {
  for (const action of actions) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
  }
}
