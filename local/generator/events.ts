import type { Prng } from './prng';

/** Event types of the reference clickstream. */
export const EVENT_TYPES = ['click', 'view', 'search', 'add_to_cart', 'purchase', 'login', 'failed_login'] as const;

/** A clickstream event type. */
export type ClickEventType = (typeof EVENT_TYPES)[number];

/** A clickstream event as the generator writes it (one JSON line). */
export interface ClickEvent {
  eventId: string;
  userId: string;
  type: ClickEventType;
  /** Event time, ISO-8601. */
  ts: string;
  page?: string;
  properties?: Record<string, unknown>;
}

/** Relative frequency of each type for human users. */
const TYPE_WEIGHTS: ReadonlyArray<[ClickEventType, number]> = [
  ['view', 40],
  ['click', 25],
  ['search', 12],
  ['add_to_cart', 8],
  ['login', 8],
  ['purchase', 3],
  ['failed_login', 4],
];
const TYPE_TOTAL = TYPE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
const PAGES = ['/', '/home', '/search', '/cart', '/checkout', '/account', '/deals', '/help'];
const DEVICES = ['desktop', 'mobile', 'tablet'];
const QUERIES = ['shoes', 'laptop', 'coffee', 'headphones', 'desk lamp', 'backpack', 'gift card', 'monitor'];
const FILLER_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Pick an event type by the human-user weights. */
export function pickType(prng: Prng): ClickEventType {
  let r = prng.next() * TYPE_TOTAL;
  for (const [type, weight] of TYPE_WEIGHTS) {
    r -= weight;
    if (r < 0) return type;
  }
  return 'view';
}

/** A seeded source of filler text for padding lines to their target size. */
export function fillerSource(prng: Prng): (length: number) => string {
  const pool = Array.from({ length: 8192 }, () => FILLER_ALPHABET[prng.int(FILLER_ALPHABET.length)]).join('');
  return (length) => {
    if (length <= 0) return '';
    const start = prng.int(pool.length);
    let text = pool.slice(start, start + length);
    while (text.length < length) text += pool.slice(0, length - text.length);
    return text;
  };
}

/** Inputs of {@link buildEvent}. */
export interface EventSpec {
  eventId: string;
  userId: string;
  type: ClickEventType;
  tsMs: number;
  bot: boolean;
}

/** Build an event with type-specific page and properties; `properties.pad` brings the JSON line to `targetBytes`. */
export function buildEvent(
  spec: EventSpec,
  prng: Prng,
  filler: (length: number) => string,
  targetBytes: number,
): ClickEvent {
  const properties: Record<string, unknown> = {
    sessionId: `s-${prng.int(0x7fffffff).toString(36)}`,
    device: spec.bot ? 'headless' : prng.pick(DEVICES),
  };
  const event: ClickEvent = {
    eventId: spec.eventId,
    userId: spec.userId,
    type: spec.type,
    ts: new Date(spec.tsMs).toISOString(),
  };
  switch (spec.type) {
    case 'view':
    case 'click':
    case 'add_to_cart':
      event.page = prng.int(3) === 0 ? prng.pick(PAGES) : `/product/${prng.int(5000)}`;
      break;
    case 'purchase':
      event.page = '/checkout';
      properties.amount = Math.round(prng.next() * 50_000) / 100;
      properties.currency = 'EUR';
      break;
    case 'search':
      event.page = '/search';
      properties.query = prng.pick(QUERIES);
      break;
    default:
      event.page = '/login';
  }
  properties.pad = '';
  event.properties = properties;
  const size = Buffer.byteLength(JSON.stringify(event));
  properties.pad = filler(targetBytes - size);
  return event;
}
