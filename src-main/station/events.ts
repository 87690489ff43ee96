// The core's typed event bus: the transports (IPC, the browser host's event stream) subscribe here and
// forward payloads; the core never knows who listens.
import type { EventName, StationEvents } from '../../src-shared/api/station-api';

type Listener<E extends EventName> = (payload: StationEvents[E]) => void;

export class StationEventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  emit<E extends EventName>(event: E, payload: StationEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(payload);
      } catch {
        // A failing subscriber (a closed window, a dropped socket) must not stop the core.
      }
    }
  }
}
