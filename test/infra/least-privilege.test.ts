/**
 * Least privilege and encryption of the synthesized stack (issue 11): per function, exactly the DynamoDB actions its
 * code performs; no AWS-managed policy on any function role and logs written only to the function's own log group;
 * the emitter kept off the checkpoint partition; no producer role trusting the whole account; conditioned key-policy
 * statements for CloudWatch alarms and Logs; log groups that follow `removalPolicy`; the customer-managed key on the
 * tables, the data lake bucket and the log groups; an access-log bucket without ACLs.
 * Bundling off (the default-stack test bundles).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_PARTITION, META_PARTITION } from '../../lambdas/state/tables';
import { logicalIdOf, resourcesOf, type Synthesized, synthStack } from './stack-fixture';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, any> };

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Logical id of the execution role of the function `fnId`. */
const roleOf = (s: Synthesized, fnId: string): string =>
  s.template.findResources('AWS::Lambda::Function')[fnId]!.Properties.Role['Fn::GetAtt'][0];

/** Statements of every inline policy attached to `role`. */
function statementsOfRole(s: Synthesized, role: string): Statement[] {
  return resourcesOf(s.template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const fnId = (s: Synthesized, kind: 'processor' | 'emitter' | 'closer') =>
  logicalIdOf(s.template, 'AWS::Lambda::Function', (p) => String(p.Description).startsWith(`streamfold ${kind} `));

/** A readable name for a statement resource: the logical id (with `.stream` for a stream ARN), or the text. */
function resourceName(resource: unknown): string {
  const att = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (att) return att[1] === 'StreamArn' ? `${att[0]}.stream` : att[0];
  return typeof resource === 'string' ? resource : JSON.stringify(resource);
}

/** The function's DynamoDB actions, per resource (logical id), sorted. */
function dynamoActions(s: Synthesized, fn: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const st of statementsOfRole(s, roleOf(s, fn))) {
    const actions = list(st.Action).filter((a) => a.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    expect(st.Effect).toBe('Allow');
    for (const resource of list(st.Resource)) {
      const name = resourceName(resource);
      out[name] = [...new Set([...(out[name] ?? []), ...actions])].sort();
    }
  }
  return out;
}

describe('least privilege (default stack)', () => {
  let s: Synthesized;
  let ids: { state: string; dedupe: string; key: string };
  beforeAll(() => {
    s = synthStack();
    ids = {
      state: logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-state'),
      dedupe: logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-dedupe'),
      key: logicalIdOf(s.template, 'AWS::KMS::Key'),
    };
  });

  it('each function may perform exactly the DynamoDB actions its code calls, on each table', () => {
    // The processor never touches the dedupe table: claims live in each key's own state (and claim items).
    expect(dynamoActions(s, fnId(s, 'processor'))).toEqual({
      [ids.state]: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
    });
    // The emitter: the id key item (GetItem once per container, PutItem once); result items only with persistResults
    // (off by default); alert delivery markers.
    expect(dynamoActions(s, fnId(s, 'emitter'))).toEqual({
      [ids.state]: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      [ids.dedupe]: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
      [`${ids.state}.stream`]: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      '*': ['dynamodb:ListStreams'],
    });
    // No Scan: the closer reads the due index (Query) and the due keys (BatchGetItem); it reads (GetItem) and
    // registers (PutItem) state layouts in the layout registry; it re-delivers spilled emitter output, so it checks and
    // writes alert delivery markers too.
    expect(dynamoActions(s, fnId(s, 'closer'))).toEqual({
      [ids.state]: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ],
      [ids.dedupe]: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
    });
  });

  it('the emitter may not write the checkpoint partition of the state table (result items, with persistResults)', () => {
    const persisted = synthStack({ persistResults: true });
    const write = statementsOfRole(persisted, roleOf(persisted, fnId(persisted, 'emitter'))).find((st) =>
      list(st.Action).includes('dynamodb:BatchWriteItem'),
    )!;
    expect(write.Condition).toEqual({
      'ForAllValues:StringNotEquals': { 'dynamodb:LeadingKeys': [CHECKPOINT_PARTITION] },
    });
  });

  it('the emitter reads and writes no state item but the id key (#meta) by default', () => {
    const onState = statementsOfRole(s, roleOf(s, fnId(s, 'emitter'))).filter(
      (st) =>
        list(st.Action).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:ListStreams') &&
        JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [ids.state, 'Arn'] }),
    );
    expect(onState.map((st) => st.Condition)).toEqual([
      { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [META_PARTITION] } },
    ]);
  });

  it.each(['processor', 'emitter', 'closer'] as const)(
    '%s: no managed policy, and logs written only to its own log group',
    (kind) => {
      const fn = fnId(s, kind);
      const role = roleOf(s, fn);
      expect(s.template.findResources('AWS::IAM::Role')[role]!.Properties.ManagedPolicyArns).toBeUndefined();
      const logGroup = s.template.findResources('AWS::Lambda::Function')[fn]!.Properties.LoggingConfig.LogGroup;
      const logStatements = statementsOfRole(s, role).filter((st) =>
        list(st.Action).some((a) => a.startsWith('logs:')),
      );
      expect(logStatements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroup.Ref, 'Arn'] },
        },
      ]);
    },
  );

  it('no role trusts the account root: without a producer principal there is no producer role', () => {
    for (const [id, role] of resourcesOf(s.template, 'AWS::IAM::Role')) {
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument), id).not.toContain(':root');
    }
    s.template.hasOutput('ProducerPolicyArn', {});
    expect(s.template.findOutputs('ProducerRoleArn')).toEqual({});
  });

  it('the key lets CloudWatch use it only for this pipeline’s alarms in this account', () => {
    const policy = s.template.findResources('AWS::KMS::Key')[ids.key]!.Properties.KeyPolicy.Statement as {
      Principal: { Service?: unknown };
      Condition?: Record<string, Record<string, unknown>>;
      Action: string[];
    }[];
    const cloudwatch = policy.filter((st) => st.Principal.Service === 'cloudwatch.amazonaws.com');
    expect(cloudwatch).toHaveLength(1);
    expect(cloudwatch[0]!.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.stringify(cloudwatch[0]!.Condition?.ArnLike?.['aws:SourceArn'])).toContain(
      ':alarm:streamfold-clickstream-*',
    );
    // Every service principal of the key policy is conditioned.
    for (const st of policy.filter((x) => x.Principal.Service !== undefined)) expect(st.Condition).toBeDefined();
  });

  it('the key lets CloudWatch Logs use it only for the pipeline’s log groups', () => {
    const policy = s.template.findResources('AWS::KMS::Key')[ids.key]!.Properties.KeyPolicy.Statement as {
      Principal: { Service?: unknown };
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    const logs = policy.filter((st) => JSON.stringify(st.Principal.Service ?? '').includes('logs.'));
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs[0]!.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'])).toContain(
      ':log-group:/streamfold/clickstream/*',
    );
  });

  it('every log group is retained by default and encrypted with the key, under /streamfold/<pipeline>/', () => {
    const groups = resourcesOf(s.template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const [id] of groups) {
      const g = s.template.findResources('AWS::Logs::LogGroup')[id]!;
      expect(g.DeletionPolicy, id).toBe('Retain');
      expect(g.UpdateReplacePolicy, id).toBe('Retain');
      expect(g.Properties.KmsKeyId, id).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
      expect(g.Properties.LogGroupName, id).toMatch(/^\/streamfold\/clickstream\//);
    }
  });

  it('the tables are encrypted with the key', () => {
    for (const table of [ids.state, ids.dedupe]) {
      expect(s.template.findResources('AWS::DynamoDB::Table')[table]!.Properties.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      });
    }
  });

  it('the data lake bucket is encrypted with the key (S3 Bucket Key); the Firehose roles may use it through S3', () => {
    const lake = logicalIdOf(s.template, 'AWS::S3::Bucket', (p) => Boolean(p.LoggingConfiguration));
    expect(
      s.template.findResources('AWS::S3::Bucket')[lake]!.Properties.BucketEncryption.ServerSideEncryptionConfiguration,
    ).toEqual([
      {
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: {
          SSEAlgorithm: 'aws:kms',
          KMSMasterKeyID: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        },
      },
    ]);
    const firehoseRoles = resourcesOf(s.template, 'AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('firehose.amazonaws.com'),
    );
    expect(firehoseRoles).toHaveLength(2);
    for (const [role] of firehoseRoles) {
      const kms = statementsOfRole(s, role).filter((st) => list(st.Action).some((a) => a.startsWith('kms:')));
      expect(kms, role).toEqual([
        {
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] },
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          },
        },
      ]);
    }
  });

  it('the access-log bucket has ACLs disabled; S3 logging may write it for the data lake bucket of this account only', () => {
    const logs = logicalIdOf(s.template, 'AWS::S3::Bucket', (p) => !p.LoggingConfiguration);
    const lake = logicalIdOf(s.template, 'AWS::S3::Bucket', (p) => Boolean(p.LoggingConfiguration));
    const props = s.template.findResources('AWS::S3::Bucket')[logs]!.Properties;
    expect(props.AccessControl).toBeUndefined();
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const [, policy] = resourcesOf(s.template, 'AWS::S3::BucketPolicy').find(
      ([, p]) => p.Properties.Bucket.Ref === logs,
    )!;
    const allow = (policy.Properties.PolicyDocument.Statement as Statement[] & { Principal: unknown }[]).filter(
      (st) => st.Effect === 'Allow',
    );
    expect(allow).toEqual([
      expect.objectContaining({
        Action: 's3:PutObject',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [lake, 'Arn'] } },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }),
    ]);
  });
});

describe('least privilege (settings)', () => {
  it('with a producer principal, the producer role trusts exactly that principal', () => {
    const principal = 'arn:aws:iam::123456789012:role/clickstream-producer';
    const s = synthStack({ producerPrincipal: new iam.ArnPrincipal(principal) });
    const role = logicalIdOf(s.template, 'AWS::IAM::Role', (p) => String(p.Description).startsWith('Producers of'));
    expect(s.template.findResources('AWS::IAM::Role')[role]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: principal } },
    ]);
    s.template.hasOutput('ProducerRoleArn', { Value: { 'Fn::GetAtt': [role, 'Arn'] } });
  });

  it('MSK: the processor role has no managed policy (no AWSLambdaMSKExecutionRole) and no producer role by default', () => {
    const s = synthStack({ ingestion: 'msk' });
    const role = roleOf(s, fnId(s, 'processor'));
    expect(s.template.findResources('AWS::IAM::Role')[role]!.Properties.ManagedPolicyArns).toBeUndefined();
    const wildcard = statementsOfRole(s, role).filter((st) => st.Resource === '*');
    expect(wildcard.flatMap((st) => list(st.Action)).sort()).toEqual([
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
    ]);
    expect(s.template.findOutputs('ProducerRoleArn')).toEqual({});
  });

  it('with removalPolicy DESTROY, the log groups are deleted with the stack', () => {
    const s = synthStack({ removalPolicy: RemovalPolicy.DESTROY });
    const groups = Object.entries(s.template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const [id, g] of groups) expect(g.DeletionPolicy, id).toBe('Delete');
  });
});
