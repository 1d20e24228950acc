import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { MARKER_PREFIX } from '../../lambdas/emitter/delivery-markers';
import { RESULT_SORT_PREFIX } from '../../lambdas/emitter/result-items';
import {
  CHECKPOINT_PARTITION,
  CLAIM_SORT_PREFIX,
  DUE_PARTITION_PREFIX,
  META_PARTITION,
  STATE_ATTR,
  STATE_SORT_KEY,
} from '../../lambdas/state/tables';
import type { ItemClassifier } from './metered-dynamodb';

/** The item kinds of streamfold's tables, as the cost meter reports them. */
export const ITEM_KINDS = {
  stateItems: 'state table: state items',
  claimItems: 'state table: claim items (spilled dedupe claims)',
  dueIndex: 'state table: due index',
  checkpoints: 'state table: checkpoints',
  resultItems: 'state table: result items',
  idKey: 'state table: id key',
  keyQueries: 'state table: a key’s items (Query)',
  markers: 'dedupe table: alert delivery markers',
  dedupeOther: 'dedupe table: other items',
} as const;

/**
 * Names each item of a pipeline's state and dedupe tables by what it is (state item, claim item, due listing,
 * checkpoint, result item, id key, delivery marker), from its key. Other tables are reported by name.
 */
export function streamfoldItemKinds(tables: { readonly state: string; readonly dedupe: string }): ItemClassifier {
  return (table: string, key: Record<string, AttributeValue>) => {
    const pk = key[STATE_ATTR.pk]?.S ?? '';
    const sk = key[STATE_ATTR.sk]?.S;
    if (table === tables.dedupe) return pk.startsWith(MARKER_PREFIX) ? ITEM_KINDS.markers : ITEM_KINDS.dedupeOther;
    if (table !== tables.state) return table;
    if (pk === CHECKPOINT_PARTITION) return ITEM_KINDS.checkpoints;
    if (pk.startsWith(DUE_PARTITION_PREFIX)) return ITEM_KINDS.dueIndex;
    if (pk === META_PARTITION && sk !== STATE_SORT_KEY) return ITEM_KINDS.idKey;
    if (sk === undefined) return ITEM_KINDS.keyQueries;
    if (sk === STATE_SORT_KEY) return ITEM_KINDS.stateItems;
    if (sk.startsWith(CLAIM_SORT_PREFIX)) return ITEM_KINDS.claimItems;
    if (sk.startsWith(RESULT_SORT_PREFIX)) return ITEM_KINDS.resultItems;
    return `state table: ${sk}`;
  };
}
