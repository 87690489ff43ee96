// Sessions: who is signed in on a transport's slot (src-shared/api/dispatch.ts). A session ends after
// `idleMinutes` without a call, when its account is disabled, or on sign-out. Dispatch asks this gate
// before any call that is not public, and to check a second operator's approval.
import { StationFailure } from '../../../src-shared/api/result';
import type { Gate, Principal, SessionSlot } from '../../../src-shared/api/dispatch';
import type { Role, SignedIn } from '../../../src-shared/api/operators';
import type { Accounts } from './accounts';

export interface Operator extends Principal {
  readonly roles: readonly Role[];
}

interface Session {
  readonly name: string;
  lastActive: number;
}

const isSession = (x: unknown): x is Session => typeof x === 'object' && x !== null && typeof (x as Session).name === 'string' && typeof (x as Session).lastActive === 'number';

export class OperatorGate implements Gate<Operator> {
  constructor(
    private readonly accounts: Accounts,
    private readonly now: () => Date,
  ) {}

  private get idleMs(): number {
    return this.accounts.settings.idleMinutes * 60_000;
  }

  async signedIn(slot: SessionSlot): Promise<Operator | undefined> {
    const s = slot.current;
    if (!isSession(s)) return undefined;
    const t = this.now().getTime();
    if (t - s.lastActive > this.idleMs) {
      slot.current = undefined;
      throw new StationFailure('session-expired', `You were signed out after ${this.accounts.settings.idleMinutes} minutes without activity; sign in again.`);
    }
    const a = this.accounts.get(s.name);
    if (!a || a.disabled) {
      slot.current = undefined;
      throw new StationFailure('account-disabled', 'Your account was disabled; you are signed out.');
    }
    s.lastActive = t;
    return { name: a.name, roles: a.roles };
  }

  async approve(approval: { operator: string; passphrase: string }): Promise<Operator> {
    try {
      const a = await this.accounts.authenticate(approval.operator, approval.passphrase, 'approval');
      return { name: a.name, roles: a.roles };
    } catch (e) {
      if (e instanceof StationFailure) throw new StationFailure('approval-refused', `The approval was not accepted: ${e.message}`);
      throw e;
    }
  }

  /** Signs an operator in on a slot (after their passphrase was checked). */
  open(slot: SessionSlot, name: string): SignedIn {
    const a = this.accounts.get(name)!;
    slot.current = { name: a.name, lastActive: this.now().getTime() } satisfies Session;
    return { operator: a.name, roles: a.roles, idleMinutes: this.accounts.settings.idleMinutes };
  }

  close(slot: SessionSlot): void {
    slot.current = undefined;
  }

  /** Who is signed in on a slot, without refreshing or expiring it (session.info). */
  peek(slot: SessionSlot): SignedIn | undefined {
    const s = slot.current;
    if (!isSession(s) || this.now().getTime() - s.lastActive > this.idleMs) return undefined;
    const a = this.accounts.get(s.name);
    return a && !a.disabled ? { operator: a.name, roles: a.roles, idleMinutes: this.accounts.settings.idleMinutes } : undefined;
  }
}
