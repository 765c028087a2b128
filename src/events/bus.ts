/**
 * The lifecycle event bus: synchronous fan-out of `LifecycleEvent`s to subscribers.
 *
 * Contract: `emit` stamps the event with the next process-wide `id`, calls every subscriber in
 * subscription order before it returns, and never throws; a subscriber that throws is reported to
 * `onError` and neither stops the others nor reaches the emitter. Subscribing or unsubscribing during
 * an emit takes effect from the next emit.
 */
import type { EventSink, LifecycleEvent, LifecycleEventInput } from '../domain/events.js';

export type Subscriber = (event: LifecycleEvent) => void;

/** Monotonic per process, across buses: events of one run sort by id. */
let lastId = 0;

export interface EventBusOptions {
  /** Told when a subscriber throws (default: ignored). Must not throw itself. */
  readonly onError?: (err: unknown, event: LifecycleEvent) => void;
}

export class EventBus implements EventSink {
  private subscribers: readonly Subscriber[] = [];

  constructor(private readonly opts: EventBusOptions = {}) {}

  /** Add a subscriber; returns the function that removes it (idempotent). */
  subscribe(fn: Subscriber): () => void {
    const entry: Subscriber = (e) => fn(e);
    this.subscribers = [...this.subscribers, entry];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== entry);
    };
  }

  /** Returns the event as stamped (its `id` answers an operator's request). */
  emit(input: LifecycleEventInput): LifecycleEvent {
    lastId += 1;
    const event = Object.freeze({ ...input, id: lastId }) as LifecycleEvent;
    for (const fn of this.subscribers) {
      try {
        fn(event);
      } catch (err) {
        try {
          this.opts.onError?.(err, event);
        } catch {
          /* the error reporter itself failed: nothing left to tell */
        }
      }
    }
    return event;
  }
}
