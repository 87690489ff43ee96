// Which screens each person sees (issue S9): the desk enrols, the hub operator runs the pool, its sources,
// shipments and sync, the auditor reads the ledger. An account with several roles sees the union, in
// this order; the first is where it lands after signing in. The station enforces every call's roles
// itself (src-shared/api): this only keeps a person's window to what they can use.
import type { Role } from '../../src-shared/api/operators';

export type Screen = 'enrol' | 'dashboard' | 'sources' | 'sync' | 'ledger';

export const SCREENS: readonly { readonly id: Screen; readonly label: string; readonly roles: readonly Role[] }[] = [
  { id: 'dashboard', label: 'Dashboard', roles: ['operator', 'admin'] },
  { id: 'enrol', label: 'Enrolment', roles: ['desk', 'operator'] },
  { id: 'sources', label: 'Sources', roles: ['operator', 'admin'] },
  { id: 'sync', label: 'Security Server', roles: ['operator', 'admin'] },
  { id: 'ledger', label: 'Ledger', roles: ['auditor', 'operator', 'admin'] },
];

/** The screens of an account, desk-first for a desk clerk, ledger-first for an auditor. */
export function screensFor(roles: readonly string[]): (typeof SCREENS)[number][] {
  const mine = SCREENS.filter((s) => s.roles.some((r) => roles.includes(r)));
  const lead: Screen | undefined = roles.includes('operator') || roles.includes('admin') ? undefined : roles.includes('desk') ? 'enrol' : roles.includes('auditor') ? 'ledger' : undefined;
  return lead ? [...mine.filter((s) => s.id === lead), ...mine.filter((s) => s.id !== lead)] : mine;
}
