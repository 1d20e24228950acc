import { createHash } from 'node:crypto';
import { decodeText, type Pipeline } from '../../core';

/**
 * The Kinesis partition key of a raw line: the definition's partition key of the decoded event, or, for a line the
 * pipeline rejects, an MD5 of the line (so malformed records spread over shards; the processor rejects them anyway).
 */
export function lineKeyOf(pipeline: Pipeline): (line: string) => string {
  return (line) => {
    const decoded = decodeText(pipeline, line);
    if (decoded.ok) return pipeline.partitionKeyOf(decoded.event);
    return `unkeyed-${createHash('md5').update(line).digest('hex')}`;
  };
}
