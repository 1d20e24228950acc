/** KinesisIngestion alone: the stream, the producer policy, and its setting checks. */
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { KinesisIngestion, SettingError } from '../../lib';
import { bareStack, templateOf } from './construct-fixture';

describe('KinesisIngestion', () => {
  it('creates an on-demand encrypted stream and a producer policy writing it', () => {
    const stack = bareStack();
    const k = new KinesisIngestion(stack, 'Ingestion', { streamName: 'orders-events' });
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'orders-events',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: Match.objectLike({ EncryptionType: 'KMS' }),
    });
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    expect(k.producerRole).toBeUndefined();
  });

  it('creates a producer role for a producer principal', () => {
    const stack = bareStack();
    const k = new KinesisIngestion(stack, 'Ingestion', {
      streamName: 'orders-events',
      producerPrincipal: new iam.AccountPrincipal('210987654321'),
    });
    expect(k.producerRole).toBeDefined();
    templateOf(stack).resourceCountIs('AWS::IAM::Role', 1);
  });

  it.each([
    [{ shardCount: 2 }, /shardCount: expected no shard count with streamMode 'on-demand', got 2/],
    [{ streamMode: 'provisioned' as const, shardCount: 0 }, /shardCount: expected an integer from 1 to 10000, got 0/],
    [{ retention: Duration.hours(12) }, /retention: expected from 24 hours to 8760 hours \(365 days\), got "12 hours"/],
  ])('fails if %o', (props, message) => {
    const build = () => new KinesisIngestion(bareStack(), 'Ingestion', { streamName: 's', ...props });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
