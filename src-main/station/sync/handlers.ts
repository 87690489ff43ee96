// The `sync` namespace: what waits for the Security Server (the outbox of range reports).
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { OutboxReport, syncCalls } from '../../../src-shared/api/sync';
import type { Core } from '../core';
import type { Operator } from '../operators/gate';

const LISTED = 100;

export function syncHandlers(core: Core): Handlers<{ sync: typeof syncCalls }, Operator>['sync'] {
  return {
    status: async () => {
      const { allocations } = core;
      let bytesWaiting = 0;
      const waiting: OutboxReport[] = [];
      for (const r of allocations.outbox.values()) {
        const a = r.allocation ? allocations.byId.get(r.allocation) : undefined;
        const bytes = a && r.kind !== 'package-lost' ? a.bytes : 0;
        bytesWaiting += bytes;
        if (waiting.length < LISTED) waiting.push({ seq: r.seq, kind: r.kind, client: r.client, package: a?.package ?? null, bytes, ranges: a?.ranges.length ?? 0, queuedAt: r.time });
      }
      return { reportsWaiting: allocations.outbox.size, bytesWaiting, waiting, acknowledgedUpTo: allocations.acknowledgedUpTo };
    },
  };
}
