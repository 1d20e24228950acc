#!/bin/bash
# LocalStack ready hook: create the pipeline's Kinesis stream, DynamoDB tables and SQS queues, with the names of
# core/names.ts (resourceNames) and the table layout of lambdas/state/tables.ts (stateTableInput, dedupeTableInput).
# Idempotent: existing resources are left alone.
set -euo pipefail

P="${STREAMFOLD_PIPELINE:-clickstream}"
if [ "$P" = "none" ]; then
  echo "streamfold: STREAMFOLD_PIPELINE=none, creating nothing (cdklocal deploy creates the resources)"
  exit 0
fi
SHARDS="${STREAMFOLD_SHARDS:-2}"
STREAM="${P}-events"
STATE_TABLE="${P}-state"
DEDUPE_TABLE="${P}-dedupe"

echo "streamfold: creating resources of pipeline ${P}"

if ! awslocal kinesis describe-stream-summary --stream-name "$STREAM" >/dev/null 2>&1; then
  awslocal kinesis create-stream --stream-name "$STREAM" --shard-count "$SHARDS"
fi
awslocal kinesis wait stream-exists --stream-name "$STREAM"

# State table: pk (S) HASH + sk (S) RANGE, on demand, stream NEW_AND_OLD_IMAGES (the emitter reads it), and the sparse
# no secondary index (the closer scans for due keys). Same input as stateTableInput().
if ! awslocal dynamodb describe-table --table-name "$STATE_TABLE" >/dev/null 2>&1; then
  awslocal dynamodb create-table --cli-input-json "$(cat <<JSON
{"TableName":"${STATE_TABLE}","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}
JSON
)"
  awslocal dynamodb wait table-exists --table-name "$STATE_TABLE"
  awslocal dynamodb update-time-to-live --table-name "$STATE_TABLE" \
    --time-to-live-specification Enabled=true,AttributeName=ttl
fi

# Dedupe (idempotency) table: pk (S) HASH, on demand, TTL on ttl. Same input as dedupeTableInput().
if ! awslocal dynamodb describe-table --table-name "$DEDUPE_TABLE" >/dev/null 2>&1; then
  awslocal dynamodb create-table --cli-input-json "$(cat <<JSON
{"TableName":"${DEDUPE_TABLE}","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}
JSON
)"
  awslocal dynamodb wait table-exists --table-name "$DEDUPE_TABLE"
  awslocal dynamodb update-time-to-live --table-name "$DEDUPE_TABLE" \
    --time-to-live-specification Enabled=true,AttributeName=ttl
fi

# Side outputs (rejected, late) and the event source mapping's on-failure destination (failed).
for queue in rejected late failed; do
  awslocal sqs create-queue --queue-name "${P}-${queue}" >/dev/null
done

echo "streamfold: stream ${STREAM}, tables ${STATE_TABLE} / ${DEDUPE_TABLE}, queues ${P}-{rejected,late,failed} ready"
