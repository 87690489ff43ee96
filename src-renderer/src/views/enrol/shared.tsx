// What every step of the desk's enrolment wizard shares: the steps in the desk's words, which one an
// application is at (from the station's record, never from this window's memory), the heading that
// takes the focus when a step opens, errors with what to do next, and sizes as people read them.
import { createContext, useContext, useEffect, useRef } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { grouped } from '../../../../src-shared/ledger/entry-words';

export type WizardStep = 'apply' | 'identity' | 'client-id' | 'keys' | 'medium' | 'write' | 'verify' | 'destroy' | 'receipt' | 'done' | 'refused';

/** The wizard's path, as the step list shows it. */
export const STEPS: readonly { readonly id: WizardStep; readonly label: string }[] = [
  { id: 'apply', label: 'New application' },
  { id: 'identity', label: 'Identity check' },
  { id: 'client-id', label: 'Client ID' },
  { id: 'keys', label: 'Initial keys' },
  { id: 'medium', label: 'Medium' },
  { id: 'write', label: 'Write' },
  { id: 'verify', label: 'Verify' },
  { id: 'destroy', label: 'Destroy our copy' },
  { id: 'receipt', label: 'Hand receipt' },
  { id: 'done', label: 'Done' },
];

/** The step an application is at, as the station records it (a running delivery is decided by the caller). */
export function stepOf(app: ApplicationView): WizardStep {
  switch (app.step) {
    case 'applied':
      return 'identity';
    case 'identity-checked':
      return 'client-id';
    case 'registered':
      return 'keys';
    case 'keys-handed-over':
      return 'medium';
    case 'delivered':
    case 'present':
      return 'receipt';
    case 'receipted':
      return 'done';
    case 'refused':
      return 'refused';
  }
}

export const MEDIUM_NAMES: Readonly<Record<ApplicationView['medium'], string>> = {
  usb: 'USB stick',
  hsm: 'HSM token',
  qr: 'Printed QR sheet',
  file: 'File (other carrier)',
};

/**
 * Whether a newly opened step takes the focus: only once the person has acted in the wizard (a step they
 * moved to), not when the wizard first opens (a tab switch or a reload keeps the focus where it was).
 */
export const StepFocus = createContext<{ current: boolean }>({ current: false });

/** The heading of a step: focused when the step opens after an action, so a keyboard user starts there. */
export function StepHeading({ children, testId }: { children: React.ReactNode; testId?: string }): React.JSX.Element {
  const ref = useRef<HTMLHeadingElement>(null);
  const focus = useContext(StepFocus);
  useEffect(() => {
    if (focus.current) ref.current?.focus();
  }, [focus]);
  return (
    <h3 ref={ref} tabIndex={-1} className="enrol-step-heading" data-testid={testId ?? 'enrol-step-heading'}>
      {children}
    </h3>
  );
}

/** What to do next, for the refusals whose sentence does not say it already. */
const WHAT_NEXT: Readonly<Record<string, string>> = {
  'approval-required': 'Ask a hub operator (not you, and not whoever checked this person’s identity) to type their name and passphrase below, then write again.',
  'approval-refused': 'Check the approving operator’s name and passphrase: it must be a hub operator other than you.',
  'same-person': 'Ask another hub operator to approve.',
  busy: 'Wait until the other work has finished, then try again.',
  io: 'Check the path (the folder must exist and the station must be allowed to write there), then try again.',
  'wrong-step': 'The application has moved on (another window may have done this step): go back to the applications and open it again.',
  'bad-request': 'Correct what the message names, then try again.',
  internal: 'Nothing was changed. Try again; if it happens again, call the hub operator.',
  unauthenticated: 'Sign in again, then open the application from the list.',
  'session-expired': 'Sign in again, then open the application from the list.',
  'not-permitted': 'Ask someone with the desk role to do this step.',
  'pool-insufficient': 'Ask the hub operator to generate and ship more PSRD, or deliver less.',
  'identity-not-checked': 'Go back to the identity check.',
  'package-too-large': 'Choose a larger kind of medium (a USB stick), or deliver less.',
  'unknown-client': 'Go back to the applications and open it again.',
  'unknown-application': 'Go back to the applications and open it again.',
  'presence-mismatch': 'Ask the client to import the initial keys from the envelope again and read the code once more; the code is optional.',
};

/** A refusal or failure as the desk reads it: the station's sentence, what to do next, and its code for the help desk. */
export function DeskError({ error, testId }: { error: StationError | undefined; testId?: string }): React.JSX.Element | null {
  if (!error) return null;
  const next = WHAT_NEXT[error.code];
  return (
    <div className="enrol-error" role="alert" data-code={error.code} data-testid={testId ?? 'enrol-error'}>
      <p>{error.message}</p>
      {next && <p>What to do: {next}</p>}
      <p className="code">Code for the help desk: {error.code}</p>
    </div>
  );
}

export { grouped };

/** "64.0 KiB (65,536 bytes)". */
export const sizeText = (n: number): string => (n < 1024 ? `${grouped(n)} bytes` : `${formatBytes(n)} (${grouped(n)} bytes)`);

/** A station answer turned into a StationError for a check made here before calling. */
export const localError = (message: string): StationError => ({ code: 'bad-request', message });

/** The last package delivered to the application (the one whose receipt comes next). */
export const lastPackage = (app: ApplicationView): string | undefined => app.packages.at(-1);
