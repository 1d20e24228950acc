import { InvalidArgumentError } from 'commander';
import { resourceNames } from '../../../core';
import type { QueriedWindow } from '../../../lambdas/query/index';
import type { RegisterCommand } from '../context';
import { CliError } from '../errors';
import { loadPipeline, PIPELINE_OPTION_HELP } from '../load-pipeline';

interface StateFlags {
  pipeline?: string;
  window: string;
  key: string;
  from?: number;
  to?: number;
  table?: string;
  endpoint?: string;
  region?: string;
  json?: boolean;
}

/** Commander parser for a time: epoch ms or an ISO-8601 date-time (`--from 2026-11-21T10:00:00Z`). */
export function timeArgument(value: string): number {
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError(`expected epoch ms or an ISO-8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

function row(w: QueriedWindow): string[] {
  return [w.status, new Date(w.start).toISOString(), new Date(w.end).toISOString(), JSON.stringify(w.values)];
}

/**
 * `streamfold state`: the open and final windows of one key (interactive query of the state table). The table is
 * `<pipeline>-state` unless `--table`; the endpoint is `--endpoint`, else `AWS_ENDPOINT_URL`, else AWS (with a local
 * endpoint and no credentials configured, dummy credentials are used).
 */
export const registerState: RegisterCommand = (program, context) => {
  program
    .command('state')
    .description('Print the open and final results of one key and window from the DynamoDB state table.')
    .option('-p, --pipeline <file.ts>', PIPELINE_OPTION_HELP)
    .requiredOption('-w, --window <name>', 'window name (e.g. perMinute)')
    .requiredOption('-k, --key <key>', 'aggregation key (e.g. u123)')
    .option('--from <time>', 'windows starting at or after (epoch ms or ISO-8601)', timeArgument)
    .option('--to <time>', 'windows starting before (epoch ms or ISO-8601)', timeArgument)
    .option('--table <name>', 'state table name (default <pipeline>-state)')
    .option('--endpoint <url>', 'DynamoDB endpoint (default AWS_ENDPOINT_URL, else AWS)')
    .option('--region <region>', 'AWS region (default from the environment, else us-east-1 with --endpoint)')
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: StateFlags) => {
      // Loaded for this command only (the AWS SDK's DynamoDB client): the others start faster.
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const { default: Table } = await import('cli-table3');
      const { queryState, UnknownWindowError } = await import('../../../lambdas/query/index');
      const { pipeline } = await loadPipeline(flags.pipeline, context.cwd);
      const endpoint = flags.endpoint ?? process.env.AWS_ENDPOINT_URL;
      const local = Boolean(endpoint) && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE;
      const client = new DynamoDBClient({
        ...(endpoint ? { endpoint } : {}),
        // A local engine (DynamoDB Local, LocalStack) accepts any credentials.
        ...(local ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
        ...(flags.region
          ? { region: flags.region }
          : endpoint && !process.env.AWS_REGION
            ? { region: 'us-east-1' }
            : {}),
      });
      try {
        const result = await queryState({
          pipeline,
          client,
          tableName: flags.table ?? resourceNames(pipeline).stateTable,
          window: flags.window,
          key: flags.key,
          from: flags.from,
          to: flags.to,
        });
        if (flags.json) {
          context.stdout(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const table = new Table({ head: ['status', 'start', 'end', 'values'] });
        for (const w of [...result.final, ...result.open]) table.push(row(w));
        context.stdout(
          `${pipeline.name} ${result.window} key ${JSON.stringify(result.key)}: ${result.final.length} final, ${result.open.length} open\n${table.toString()}\n`,
        );
      } catch (error) {
        if (error instanceof UnknownWindowError) throw new CliError(error.message, { cause: error });
        throw error;
      } finally {
        client.destroy();
      }
    });
};
