/** `12,345` (en-US grouping); `–` for undefined. */
export function count(value: number | undefined): string {
  return value === undefined ? '–' : Math.round(value).toLocaleString('en-US');
}

/** `123.4/s`; `–` for undefined. */
export function perSecond(value: number | undefined): string {
  return value === undefined
    ? '–'
    : `${value.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })}/s`;
}

/** `850 ms`, `12.3 s`; `–` for undefined. */
export function millis(value: number | undefined): string {
  if (value === undefined) return '–';
  if (value < 10_000) return `${Math.round(value).toLocaleString('en-US')} ms`;
  return `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} s`;
}

/** `0:42` / `1:02:03` from ms. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `12.3`; `–` for undefined. */
export function decimal(value: number | undefined): string {
  return value === undefined
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
}

/** ISO minute of an epoch-ms time: `2026-01-01T10:05Z`. */
export function minute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}
