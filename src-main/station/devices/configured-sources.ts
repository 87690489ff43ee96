// Which sources a caller may name. The window and the browser host may use only the sources in the
// station's settings: a page must never point generation at a path of its choosing (a file it knows
// would become PSRD). The CLI is run by the operator at the station's own shell, and may name any.
import { StationFailure } from '../../../src-shared/api/result';
import type { Core } from '../core';
import { identifyPath, identityKey } from '../../../hardware/device-identity';
import { parseSourceSpec } from '../../../hardware/entropy';
import { canonicalSpec } from './sources';

export function allowedSources(core: Core, host: string, specs: readonly string[]): readonly string[] {
  if (host === 'cli' || host === 'test') return specs;
  const configured = new Set(['os', ...core.settings.sources.map(canonicalSpec)]);
  for (const s of specs) {
    if (!configured.has(canonicalSpec(s))) throw new StationFailure('forbidden', `${s} is not one of this station's configured entropy sources; an operator adds it to the station's settings first.`);
  }
  return specs;
}

/**
 * The lock names of a set of sources: one per unit, so a unit is never opened by two jobs at once,
 * whatever each calls it — a path is locked by the device it resolves to (hardware/device-identity.ts).
 */
export function sourceResources(specs: readonly string[]): string[] {
  return specs.map((raw) => {
    const spec = canonicalSpec(raw);
    const parsed = parseSourceSpec(spec);
    const path = parsed.kind === 'device-file' || parsed.kind === 'serial' ? parsed.path : undefined;
    const id = path ? identifyPath(path, 'entropy') : undefined;
    return `source:${id ? identityKey(id) : spec}`;
  });
}
