import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';

/** DynamoDB item actions that write (they need the table key's encrypt permissions with a customer-managed key). */
const WRITES = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']);

/**
 * Lets `grantee` perform exactly `actions` on the items of `table`: one statement on the table ARN itself (not
 * `<table>/index/*`, which `ITable.grant` adds when the table has indexes), with optional conditions, plus the key
 * permissions DynamoDB needs when the table is encrypted with a customer-managed key (decrypt for reads, encrypt too
 * for writes), as `ITable.grantReadData`/`grantWriteData` give them.
 */
export function grantItemActions(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  actions: readonly string[],
  conditions?: Record<string, Record<string, unknown>>,
): void {
  iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [table.tableArn], conditions });
  if (table.encryptionKey) {
    const write = actions.some((a) => WRITES.has(a));
    table.encryptionKey.grant(
      grantee,
      'kms:Decrypt',
      'kms:DescribeKey',
      ...(write ? ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] : []),
    );
  }
}
