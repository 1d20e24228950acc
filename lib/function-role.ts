import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * The execution role of a streamfold function: assumed by Lambda, with no managed policy, allowed to write exactly
 * its own log group (`logs:CreateLogStream`, `logs:PutLogEvents` on the group's `log-group:<name>:*` ARN).
 * AWSLambdaBasicExecutionRole, which NodejsFunction attaches by default, would let the function create and write
 * every log group of the account. Every other permission is granted by the construct that owns the function.
 */
export function functionRole(scope: Construct, id: string, logGroup: logs.ILogGroup, description: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  logGroup.grantWrite(role);
  return role;
}
