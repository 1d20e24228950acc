/** DataLakeCatalog alone: the Glue database, the events table and view, the Athena work group, and its checks. */
import { describe, expect, it } from 'vitest';
import { DataLakeCatalog, type DataLakeCatalogProps, SettingError } from '../../lib';
import { bareStack, lakeBucket, templateOf } from './construct-fixture';

const columns = [
  { name: 'user_id', type: 'string' },
  { name: 'amount', type: 'double' },
] as const;

function catalog(props: Partial<DataLakeCatalogProps> = {}) {
  const stack = bareStack();
  const c = new DataLakeCatalog(stack, 'Catalog', {
    pipelineName: 'orders',
    bucket: lakeBucket(stack),
    columns,
    ...props,
  });
  return { c, t: templateOf(stack) };
}

describe('DataLakeCatalog', () => {
  it('creates the database, the events_log table, the events view and a work group', () => {
    const { c, t } = catalog();
    t.resourceCountIs('AWS::Glue::Database', 1);
    t.hasResourceProperties('AWS::Glue::Table', { TableInput: { Name: c.eventsLogTableName } });
    t.resourceCountIs('AWS::Athena::WorkGroup', 1);
    expect(c.workGroupName).toBe('streamfold-orders');
    expect(c.eventsViewSql).toContain(c.eventsLogTableName);
    expect(c.rawEventsTableName).toBeUndefined();
  });

  it('adds the raw_events table with rawEvents', () => {
    const { c } = catalog({ rawEvents: true });
    expect(c.rawEventsTableName).toBeDefined();
  });

  it.each([
    [{ projectionStartDate: '2025-13-45' }, /projectionStartDate: expected a date as yyyy-MM-dd, got "2025-13-45"/],
    [{ bytesScannedCutoffPerQuery: 1000 }, /bytesScannedCutoffPerQuery: expected an integer of at least 10000000/],
    [{ columns: [{ name: 'sf_uid', type: 'string' }] }, /columns/],
  ])('fails if %o', (props, message) => {
    const build = () => catalog(props as Partial<DataLakeCatalogProps>);
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
