/**
 * callback_state.ts — the states of a fit's stateful callbacks as checkpoints keep them: keyed by
 * class name and rank among the fit's callbacks of that class (`EarlyStopping#0`), so a resumed fit
 * given the same callbacks hands each its own state back.
 */
import type { CallbackStates } from '../io/checkpoint';
import type { Callback } from './callbacks';

function stateful(callbacks: readonly Callback[]): [string, Callback][] {
  const seen = new Map<string, number>();
  const out: [string, Callback][] = [];
  for (const cb of callbacks) {
    if (typeof cb.state !== 'function') continue;
    const name = cb.constructor?.name || 'Callback';
    const rank = seen.get(name) ?? 0;
    seen.set(name, rank + 1);
    out.push([`${name}#${rank}`, cb]);
  }
  return out;
}

/** The current states of the stateful callbacks. */
export function collectCallbackStates(callbacks: readonly Callback[]): CallbackStates {
  return Object.fromEntries(stateful(callbacks).map(([key, cb]) => [key, (cb.state as () => CallbackStates[string])()]));
}

/** Hands each callback its saved state; disposes the tensors of states no callback takes. */
export function restoreCallbackStates(callbacks: readonly Callback[], states: CallbackStates): void {
  const left = new Map(Object.entries(states));
  for (const [key, cb] of stateful(callbacks)) {
    const state = left.get(key);
    if (state === undefined || typeof cb.loadState !== 'function') continue;
    left.delete(key);
    cb.loadState(state);
  }
  for (const state of left.values()) state.tensors?.forEach((t) => t.dispose());
}
