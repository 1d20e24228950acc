import type { ClosedWindow, KeyState, SessionState } from '../engine/state';
import { type Plan, union } from './translate-plan';

/**
 * Open sessions, closed windows and fired alerts of the windows that carry over, laid out for the new layout into
 * `out` (see `translateState`); those of removed or changed windows are dropped.
 */
export function translateWindows(plan: Plan, state: KeyState, out: KeyState): void {
  translateSessions(plan, state, out);
  translateClosed(plan, state, out);
  // Alerts fired for open time windows: `<alert>@<start>`.
  const fired = (state.f ?? []).flatMap((id) => {
    const [alert, start] = id.split('@');
    const b = plan.alertTo.get(Number(alert));
    return b === undefined ? [] : [`${b}@${start}`];
  });
  if (fired.length > 0) out.f = fired;
}

function translateSessions(plan: Plan, state: KeyState, out: KeyState): void {
  for (const [index, sessions] of Object.entries(state.x ?? {})) {
    const b = plan.windowTo.get(Number(index));
    if (b === undefined || sessions.length === 0) continue;
    out.x ??= {};
    out.x[b] = sessions.map((s): SessionState => {
      const f = plan.alerts(s.f);
      return { s: s.s, l: s.l, a: plan.realign(Number(index), b, s.a), ...(f ? { f } : {}) };
    });
  }
}

function translateClosed(plan: Plan, state: KeyState, out: KeyState): void {
  for (const closed of Object.values(state.c ?? {})) {
    const b = plan.windowTo.get(closed.w);
    if (b === undefined) continue;
    const f = plan.alerts(closed.f);
    const p = union(plan.positions(closed.w, b, closed.p), plan.added(closed.w, b));
    const moved: ClosedWindow = {
      w: b,
      s: closed.s,
      e: closed.e,
      a: plan.realign(closed.w, b, closed.a),
      ...(f ? { f } : {}),
      ...(p ? { p } : {}),
    };
    out.c ??= {};
    out.c[`${b}@${closed.s}`] = moved;
  }
}
