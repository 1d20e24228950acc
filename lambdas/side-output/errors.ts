import { StreamfoldError } from '../../core/errors';

/** A side-output queue URL is not usable. */
export class InvalidQueueUrlError extends StreamfoldError {
  override name = 'InvalidQueueUrlError';
  readonly code = 'INVALID_QUEUE_URL';
  constructor(readonly queueUrl: unknown) {
    super(
      `Invalid side-output queue URL ${JSON.stringify(queueUrl)}: expected an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/clickstream-rejected.`,
    );
  }
}

/** Two messages of one send share an id: ids must be unique per record (and window) so consumers can drop redeliveries. */
export class DuplicateMessageIdError extends StreamfoldError {
  override name = 'DuplicateMessageIdError';
  readonly code = 'DUPLICATE_MESSAGE_ID';
  constructor(readonly id: string) {
    super(
      `Side-output message id ${JSON.stringify(id)} appears twice in one send: build ids from source, sequence and window.`,
    );
  }
}
