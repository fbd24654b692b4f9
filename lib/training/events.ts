/**
 * events.ts — routes the events of a native training loop (fit, the GAN trainer; see
 * binding/training_events.h) to JS callbacks: per-batch logs synchronously, epoch begin/end
 * awaited before the native loop goes on, and the first callback error kept (it stops training
 * and is rethrown when the loop returns).
 */
import type { Callback, Logs } from './callbacks';

export type NativeEvent = (type: string, index: number, logs: Logs, done?: (stop: boolean) => void) => void;

export interface EventRouterOptions {
  callbacks: readonly Callback[];
  /** Everything that happens at an epoch end (history, checkpoints, the callbacks' onEpochEnd). */
  epochEnd(epoch: number, logs: Logs): Promise<void>;
  /** Asks the native loop to stop after the current batch. */
  stop(): void;
  /** Whether training should end after this epoch (besides a callback error). */
  stopRequested(): boolean;
}

export interface EventRouter {
  onEvent: NativeEvent;
  /** The first error a callback threw, if any. */
  failure(): unknown;
}

export function routeEvents(o: EventRouterOptions): EventRouter {
  let failure: unknown;
  const onEvent: NativeEvent = (type, index, logs, done) => {
    if (type === 'batchEnd') {
      try {
        for (const cb of o.callbacks) cb.onBatchEnd?.(index, logs);
      } catch (err) {
        failure ??= err;
        o.stop();
      }
      return;
    }
    void (async () => {
      try {
        if (type === 'epochBegin') for (const cb of o.callbacks) await cb.onEpochBegin?.(index, {});
        else await o.epochEnd(index, logs);
      } catch (err) {
        failure ??= err;
      }
      done?.(failure !== undefined || o.stopRequested());
    })();
  };
  return { onEvent, failure: () => failure };
}
