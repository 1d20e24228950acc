import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkDuration } from './validate';

/** Props of {@link SideOutputQueues}. */
export interface SideOutputQueuesProps {
  /** Queue names (see `resourceNames(pipeline)`). */
  readonly names: { readonly rejected: string; readonly late: string; readonly failed: string };
  /** Key encrypting the messages. */
  readonly encryptionKey: kms.IKey;
  /**
   * How long messages are kept: 1 minute to 14 days.
   * @default Duration.days(14)
   */
  readonly retention?: Duration;
  /**
   * What happens to the queues (and their messages) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The side outputs: rejected (invalid records, with the reason), late (after window end + grace) and failed (the
 * event source mapping's on-failure destination). KMS-encrypted, TLS-only, 14-day retention.
 */
export class SideOutputQueues extends Construct {
  /** Records that failed decoding or schema validation. */
  readonly rejected: sqs.IQueue;
  /** Records that arrived after their window closed. */
  readonly late: sqs.IQueue;
  /** Batches the event source mapping gave up on (retries or record age exhausted). */
  readonly failed: sqs.IQueue;

  constructor(scope: Construct, id: string, props: SideOutputQueuesProps) {
    super(scope, id);
    const retention = props.retention ?? Duration.days(14);
    checkDuration(
      'sideOutputRetention',
      retention,
      'seconds',
      { min: 60, max: 1_209_600 },
      'from 60 seconds to 14 days',
    );
    const queue = (cid: string, queueName: string) => {
      const q = new sqs.Queue(this, cid, {
        queueName,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.encryptionKey,
        dataKeyReuse: Duration.hours(1),
        enforceSSL: true,
        retentionPeriod: retention,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      Validations.of(q).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a terminal side output (dead letters of the pipeline); it is drained by people or ' +
          'replay tools, alarmed on depth and age, and has no consumer whose failures would need another DLQ.',
      });
      return q;
    };
    this.rejected = queue('Rejected', props.names.rejected);
    this.late = queue('Late', props.names.late);
    this.failed = queue('Failed', props.names.failed);
  }
}
