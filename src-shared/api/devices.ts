// The `devices` namespace: entropy sources present and configured, their health tests, and the
// acknowledgement that re-enables a source latched FAILED (SP 800-90B §4.3), which takes two people.
import { call, returns } from './contract';
import { sourceSpec } from './pool';
import { list, object } from './validate';

export interface SourceView {
  readonly spec: string;
  readonly label: string;
  readonly kind: string;
  readonly vendorId?: string;
  readonly productId?: string;
  readonly serial?: string;
  /** ok; failed (latched until acknowledged); absent (configured, not connected); unavailable (there, but cannot be opened). */
  readonly state: 'ok' | 'failed' | 'absent' | 'unavailable';
  readonly reason?: string;
  /** Named in the station's settings (the window and the browser host may use only these). */
  readonly configured: boolean;
}

export interface SourceTestReport {
  readonly spec: string;
  readonly label: string;
  readonly passed: boolean;
  readonly samplesTested: number;
  readonly bytesRead: number;
  readonly code?: string;
  readonly reason?: string;
}

export interface SourceReport {
  readonly sources: readonly SourceView[];
  readonly warnings: readonly string[];
}

export const devicesCalls = {
  listSources: call({ args: object({}), result: returns<SourceReport>(), access: 'signed-in' }),
  /** Runs a source through its start-up and continuous health tests on 256 KiB; nothing it produces is kept. */
  testSource: call({ args: object({ spec: sourceSpec }), result: returns<SourceTestReport>(), access: ['operator'] }),
  /** An operator re-enables a source latched FAILED after checking the device; a second operator approves. */
  acknowledgeSource: call({ args: object({ spec: sourceSpec }), result: returns<{ acknowledged: boolean }>(), access: ['operator'], approval: ['operator', 'admin'] }),
  /** The sources the station uses when a call names none (first-run setup): written to station.json and in effect at once. */
  configureSources: call({ args: object({ sources: list(sourceSpec, { minItems: 1, maxItems: 8 }) }), result: returns<{ sources: readonly string[] }>(), access: ['admin', 'operator'] }),
} as const;

export const devicesErrors = {
  'entropy-failed': 'An entropy source failed its health tests; nothing it produced was added to the pool.',
  'entropy-source': 'An entropy source could not be used.',
  'source-unavailable': 'An entropy source is not connected or cannot be opened.',
  'source-not-found': 'No such entropy source is configured or connected.',
} as const;

export interface DevicesEvents {
  'devices.changed': SourceReport;
}
export const devicesEventNames = ['devices.changed'] as const;
