// Tells subscribers when the entropy sources change (issue S1's device events): a device plugged in or
// pulled, a source latched FAILED or acknowledged. Polling, because drivelist-style enumeration has no
// events and usb's attach/detach needs a USB bus that not every station machine exposes; the timer is
// unref'd so it never keeps a process alive.
import type { SourceReport } from '../../../src-shared/api/devices';

export interface DeviceWatch {
  /** Looks again now (after a change the station itself made). */
  poke(): void;
  stop(): void;
}

export function watchDevices(list: () => Promise<SourceReport>, onChange: (report: SourceReport) => void, intervalMs: number): DeviceWatch {
  let last: string | undefined;
  let running = false;
  let stopped = false;
  const look = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      const report = await list();
      const key = JSON.stringify(report);
      // The first look is reported too: a subscriber never misses a change that raced the start.
      if (key !== last && !stopped) onChange(report);
      last = key;
    } catch {
      // Enumeration never throws by contract; a failure here just waits for the next look.
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void look(), intervalMs);
  timer.unref();
  void look();
  return {
    poke: () => void look(),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
