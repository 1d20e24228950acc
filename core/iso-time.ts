/**
 * Strict event-time parsing. `Date.parse` accepts free-form text ("1" is 2001, "2026-02-30" is 2 March, a date-time
 * without an offset is read in the machine's time zone), so event times read from producers go through this instead.
 */

// YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.fraction]] followed by Z or ±HH:MM.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parse an ISO-8601 date (`2026-01-01`, midnight UTC) or date-time with an optional fraction and a `Z` or `±HH:MM`
 * offset (`2026-01-01T10:00:30.250+02:00`), strictly: impossible dates (Feb 30, month 13) and times (25:00, 24:00,
 * second 60) are refused, as are local times without an offset, lowercase or space separators and extended years.
 * Fractions beyond milliseconds are truncated.
 *
 * @returns epoch milliseconds, or NaN when the text is not such a time.
 * @example parseIsoTime('2026-01-01T00:00:30Z') // 1767225630000
 */
export function parseIsoTime(text: string): number {
  if (text.length > 40) return Number.NaN;
  const m = ISO_RE.exec(text);
  if (!m) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return Number.NaN;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!)) return Number.NaN;
  if (m[4] === undefined) return utc(year, month, day, 0, 0, 0, 0);
  if (m[8] === undefined) return Number.NaN; // a date-time needs Z or an offset
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return Number.NaN;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return utc(year, month, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

/** Date.UTC with the full year kept (Date.UTC maps years 0..99 to 1900..1999). */
function utc(year: number, month: number, day: number, h: number, min: number, s: number, ms: number): number {
  const date = new Date(Date.UTC(2000, month - 1, day, h, min, s, ms));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/**
 * An event time read from an event: epoch milliseconds (a finite number), a valid `Date`, or a strict ISO-8601 string
 * ({@link parseIsoTime}).
 *
 * @returns epoch milliseconds, or NaN when the value is none of these.
 */
export function toEventTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === 'string') return parseIsoTime(value);
  if (value instanceof Date) return value.getTime();
  return Number.NaN;
}
