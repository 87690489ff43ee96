// Operator accounts (docs/DESIGN.md "Who is calling"). The ledger is the record of who exists, with which
// roles, and who is disabled: a fold over `operator.*` entries, as the pool's state is. Passphrase
// verifiers and failed-attempt counts live in operators.json (verifier-file.ts). Lockout: after
// `lockoutAttempts` wrong passphrases in a row the account is refused for `lockoutMinutes`, even with
// the right one; the lockout is recorded, and survives a restart.
import { StationFailure } from '../../../src-shared/api/result';
import type { OperatorView, Role } from '../../../src-shared/api/operators';
import type { Ledger } from '../../../src-node/ledger/ledger';
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import { checkPassphrase, decoyVerifier, makeVerifier, passphraseProblem } from './passphrase';
import { readCredentials, writeCredentials, type Credential, type Credentials } from './verifier-file';

export interface OperatorSettings {
  readonly idleMinutes: number;
  readonly lockoutAttempts: number;
  readonly lockoutMinutes: number;
}

export const defaultOperatorSettings: OperatorSettings = { idleMinutes: 15, lockoutAttempts: 5, lockoutMinutes: 15 };

export interface Account {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
  readonly createdAt: string;
}

/** The identity of an account: names are compared without regard to case or Unicode form. */
export const accountKey = (name: string): string => name.normalize('NFC').toLowerCase();

/** Who did something, as the ledger records it: taken from the call context, never from arguments. */
export type Actor = { readonly operator?: string; readonly approver?: string; readonly host: string };

export class Accounts {
  private readonly accounts = new Map<string, Account>();
  private credentials: Credentials;

  constructor(
    private readonly dataDir: string,
    private readonly ledger: Ledger,
    readonly settings: OperatorSettings,
    private readonly now: () => Date,
    /** Opened to read only: a wrong passphrase is refused but cannot be counted or recorded. */
    private readonly readOnly = false,
  ) {
    ledger.restore({
      name: 'operators',
      apply: (e) => this.apply(e),
      save: () => [...this.accounts.values()],
      load: (saved) => {
        for (const a of saved as Account[]) this.accounts.set(accountKey(a.name), a);
      },
    });
    const read = readCredentials(dataDir, ledger.auditKey);
    if (!read && this.accounts.size > 0) {
      throw new StationFailure('data-dir', `The station's list of operator passphrases (operators.json) is missing, though the ledger names ${this.accounts.size} account(s), so nobody could sign in; restore it from your backup.`);
    }
    this.credentials = read ?? {};
  }

  private apply(e: LedgerEntry): void {
    const name = typeof e.data.name === 'string' ? e.data.name : undefined;
    if (!name) return;
    const key = accountKey(name);
    const current = this.accounts.get(key);
    if (e.type === 'operator.created') this.accounts.set(key, { name, roles: e.data.roles as Role[], disabled: false, createdAt: e.time });
    else if (current && e.type === 'operator.disabled') this.accounts.set(key, { ...current, disabled: true });
    else if (current && e.type === 'operator.enabled') this.accounts.set(key, { ...current, disabled: false });
  }

  get empty(): boolean {
    return this.accounts.size === 0;
  }

  get(name: string): Account | undefined {
    return this.accounts.get(accountKey(name));
  }

  list(): OperatorView[] {
    return [...this.accounts.values()].map((a) => this.view(a));
  }

  view(a: Account): OperatorView {
    const c = this.credentials[accountKey(a.name)];
    const locked = c?.lockedUntil && Date.parse(c.lockedUntil) > this.now().getTime() ? { lockedUntil: c.lockedUntil } : {};
    return { name: a.name, roles: a.roles, disabled: a.disabled, createdAt: a.createdAt, ...locked };
  }

  async create(name: string, roles: readonly Role[], passphrase: string, actor: Actor): Promise<Account> {
    if (this.get(name)) throw new StationFailure('operator-exists', `An account named ${this.get(name)!.name} exists already; names are never reused, even for disabled accounts.`);
    const weak = passphraseProblem(passphrase);
    if (weak) throw new StationFailure('weak-passphrase', weak);
    const distinct = [...new Set(roles)];
    // The verifier first: an account the ledger does not name is ignored, so a crash between the two steps leaves nothing usable.
    this.setCredential(name, { verifier: await makeVerifier(passphrase), failures: 0 });
    this.ledger.append('operator.created', { name, roles: distinct, actor }, this.now);
    return this.get(name)!;
  }

  setDisabled(name: string, disabled: boolean, actor: Actor): Account {
    const a = this.require(name);
    if (a.disabled === disabled) return a;
    if (disabled && a.roles.includes('admin') && this.list().filter((o) => !o.disabled && o.roles.includes('admin')).length === 1) {
      throw new StationFailure('not-permitted', `${a.name} is the only administrator left enabled; create another administrator first.`);
    }
    this.ledger.append(disabled ? 'operator.disabled' : 'operator.enabled', { name: a.name, actor }, this.now);
    return this.require(name);
  }

  async setPassphrase(name: string, next: string, actor: Actor, reason: string): Promise<void> {
    const a = this.require(name);
    const weak = passphraseProblem(next);
    if (weak) throw new StationFailure('weak-passphrase', weak);
    this.setCredential(a.name, { verifier: await makeVerifier(next), failures: 0 });
    this.ledger.append('operator.passphrase-set', { name: a.name, reason, actor }, this.now);
  }

  /**
   * Checks a passphrase for an account. Every refusal costs the same scrypt time whether or not the
   * name exists; wrong passphrases count towards the lockout, and the lockout is recorded.
   */
  async authenticate(name: string, passphrase: string, host: string): Promise<Account> {
    const a = this.get(name);
    const c = a ? this.credentials[accountKey(a.name)] : undefined;
    const good = await checkPassphrase(passphrase, c?.verifier ?? (await decoyVerifier()));
    const nowMs = this.now().getTime();
    if (!a || !c) {
      if (!this.readOnly) this.ledger.append('operator.sign-in-refused', { name: name.slice(0, 64), reason: 'no such account', host }, this.now);
      throw new StationFailure('bad-credentials', 'The name or passphrase is wrong.');
    }
    if (c.lockedUntil && Date.parse(c.lockedUntil) > nowMs) {
      throw new StationFailure('locked-out', `${a.name} is locked after ${this.settings.lockoutAttempts} wrong passphrases until ${c.lockedUntil}; wait, or ask an administrator to set a new passphrase.`);
    }
    if (!good && this.readOnly) throw new StationFailure('bad-credentials', 'The name or passphrase is wrong.');
    if (!good) {
      const failures = c.failures + 1;
      const lock = failures >= this.settings.lockoutAttempts;
      const lockedUntil = lock ? new Date(nowMs + this.settings.lockoutMinutes * 60_000).toISOString() : undefined;
      this.setCredential(a.name, { verifier: c.verifier, failures: lock ? 0 : failures, ...(lockedUntil ? { lockedUntil } : {}) });
      this.ledger.append(lock ? 'operator.locked-out' : 'operator.sign-in-refused', { name: a.name, reason: 'wrong passphrase', failures, host, ...(lockedUntil ? { until: lockedUntil } : {}) }, this.now);
      if (lock) throw new StationFailure('locked-out', `${a.name} is now locked for ${this.settings.lockoutMinutes} minutes after ${this.settings.lockoutAttempts} wrong passphrases.`);
      throw new StationFailure('bad-credentials', 'The name or passphrase is wrong.');
    }
    if (a.disabled) throw new StationFailure('account-disabled', `${a.name}'s account is disabled; an administrator can enable it again.`);
    if (!this.readOnly && (c.failures > 0 || c.lockedUntil)) this.setCredential(a.name, { verifier: c.verifier, failures: 0 });
    return a;
  }

  private require(name: string): Account {
    const a = this.get(name);
    if (!a) throw new StationFailure('bad-request', `There is no operator named ${name.slice(0, 64)}.`);
    return a;
  }

  private setCredential(name: string, c: Credential): void {
    const next = { ...this.credentials, [accountKey(name)]: c };
    writeCredentials(this.dataDir, next, this.ledger.auditKey);
    this.credentials = next;
  }
}
