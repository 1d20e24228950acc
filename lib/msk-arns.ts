import { Fn } from 'aws-cdk-lib';

/**
 * ARNs of an MSK cluster's topics and consumer groups (for IAM access control), derived from the cluster ARN
 * `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`. Works with tokens (a cluster created in the stack).
 */
export function mskResourceArn(clusterArn: string, kind: 'topic' | 'group', name: string): string {
  const parts = Fn.split(':cluster/', clusterArn, 2);
  return Fn.join('', [Fn.select(0, parts), `:${kind}/`, Fn.select(1, parts), `/${name}`]);
}
