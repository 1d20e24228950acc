import type { ClickEvent } from './events';
import type { Prng } from './prng';

/** The ways a planted malformed record is broken. */
export const MALFORMATIONS = [
  'invalid-json',
  'wrong-type',
  'missing-field',
  'unparsable-ts',
  'unknown-type',
  'not-an-object',
] as const;

/** How a malformed record is broken. */
export type Malformation = (typeof MALFORMATIONS)[number];

/** Turn a valid event into a malformed line of the given kind (one line, no newline). */
export function malform(event: ClickEvent, how: Malformation, prng: Prng): string {
  const line = JSON.stringify(event);
  switch (how) {
    case 'invalid-json':
      return line.slice(0, 1 + prng.int(line.length - 2));
    case 'wrong-type':
      return JSON.stringify({ ...event, userId: prng.int(100_000) });
    case 'missing-field': {
      const { eventId: _eventId, ...rest } = event;
      const { userId: _userId, ...noUser } = event;
      return JSON.stringify(prng.int(2) === 0 ? rest : noUser);
    }
    case 'unparsable-ts':
      return JSON.stringify({ ...event, ts: 'yesterday, around noon' });
    case 'unknown-type':
      return JSON.stringify({ ...event, type: 'teleport' });
    case 'not-an-object':
      return JSON.stringify([event.eventId, event.userId, event.type]);
  }
}
