// `dske-station sources …`: the `devices` namespace's entropy sources, their tests and acknowledgement.
import type { SourceReport, SourceTestReport } from '../../../src-shared/api/devices';
import { noArgs, type Command } from '../command';

function sources(r: SourceReport): string {
  const rows = r.sources.map((s) => `${s.state.toUpperCase().padEnd(11)} ${s.configured ? 'configured' : '          '} ${s.spec.padEnd(36)} ${s.label}${s.serial ? ` (serial ${s.serial})` : ''}${s.reason ? ` — ${s.reason}` : ''}`);
  return [...rows, ...r.warnings.map((w) => `note: ${w}`)].join('\n');
}

function sourceTest(r: SourceTestReport): string {
  return r.passed
    ? `PASSED  ${r.label}: ${r.samplesTested} samples through the start-up, repetition-count and adaptive-proportion tests.`
    : `FAILED  ${r.label} after ${r.samplesTested} samples: ${r.reason}`;
}

export const sourcesCommands: readonly Command[] = [
  { words: 'sources list', usage: 'sources list', summary: 'entropy sources present and configured, and their health', call: 'devices.listSources', mode: 'read', args: noArgs, show: sources },
  {
    words: 'sources test',
    usage: 'sources test SPEC',
    summary: 'run one source through its SP 800-90B health tests (nothing is kept)',
    call: 'devices.testSource',
    mode: 'write',
    operands: ['SPEC'],
    args: (_a, { operands: [spec] }) => ({ spec }),
    show: sourceTest,
    failed: (r: SourceTestReport) => !r.passed,
  },
  {
    words: 'sources ack',
    usage: 'sources ack SPEC --approver NAME',
    summary: 're-enable a source latched FAILED, after checking the device (two operators)',
    call: 'devices.acknowledgeSource',
    mode: 'write',
    operands: ['SPEC'],
    args: (_a, { operands: [spec] }) => ({ spec }),
    show: () => 'Acknowledged: the source is enabled again and repeats its start-up test on its next use.',
  },
];
