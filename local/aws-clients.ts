import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Endpoints to point the clients at; `sqs` only exists with LocalStack (no embedded SQS engine). */
export interface ClientEndpoints {
  kinesis: string;
  dynamodb: string;
  sqs?: string;
}

/** Real SDK v3 clients for local engines. */
export interface LocalClients {
  dynamodb: DynamoDBClient;
  kinesis: KinesisClient;
  /** Undefined when no SQS endpoint was given (the embedded engines have no SQS). */
  sqs: SQSClient | undefined;
  /** Close the clients' sockets. */
  destroy(): void;
}

/** Region used for everything local. */
export const LOCAL_REGION = 'us-east-1';

/** Dummy static credentials; `test` is what LocalStack expects (account 000000000000), the engines accept anything. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Build SDK v3 clients for the local engines (or LocalStack): region us-east-1, dummy credentials, and for Kinesis a
 * plain HTTP/1.1 `NodeHttpHandler` (the Kinesis client defaults to HTTP/2, which kinesis-mock's plain port does not speak).
 */
export function makeClients(endpoints: ClientEndpoints): LocalClients {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const kinesis = new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() });
  const sqs = endpoints.sqs ? new SQSClient({ ...common, endpoint: endpoints.sqs }) : undefined;
  return {
    dynamodb,
    kinesis,
    sqs,
    destroy() {
      dynamodb.destroy();
      kinesis.destroy();
      sqs?.destroy();
    },
  };
}
