// The `enrolment` namespace (issue S7; spec §8, §11.1): the desk's path from an application to a hand
// receipt — identity checked (evidence by document type, the minimum kept), a client registered, its
// initial keys handed over apart from its PSRD, the PSRD delivered (the `delivery` namespace), the
// optional "I'm here" code, the receipt. Every step is a ledger entry naming its operator; an
// application resumes after a restart at the step it reached. Names stay out of the ledger.
import { call, returns } from './contract';
import { list, object, oneOf, optional, text } from './validate';
import { DOCUMENTS, DOCUMENT_NUMBER } from '../enrolment/identity-documents';

export const applicationId = text({ maxLength: 20, pattern: /^app-[0-9a-f]{16}$/ });
const personName = text({ maxLength: 200, pattern: /^[^\x00-\x1f\x7f]{1,200}$/ });
const reason = text({ maxLength: 500, pattern: /^[^\x00-\x1f\x7f]{1,500}$/ });
export const MEDIA = ['usb', 'hsm', 'qr', 'file'] as const;

export type EnrolmentStep = 'applied' | 'refused' | 'identity-checked' | 'registered' | 'keys-handed-over' | 'delivered' | 'present' | 'receipted';

export interface ApplicationView {
  readonly application: string;
  readonly name: string | null;
  readonly medium: (typeof MEDIA)[number];
  readonly step: EnrolmentStep;
  /** What to do next, in the desk's words. */
  readonly next: string;
  readonly createdAt: string;
  readonly client?: string;
  readonly identity?: { readonly document: string; readonly last4: string; readonly checkedBy: string; readonly outcome: 'accepted' | 'refused'; readonly time: string };
  readonly refusedReason?: string;
  readonly keysHandedOver?: { readonly kind: string; readonly target: string; readonly time: string };
  readonly packages: readonly string[];
  readonly receipts: readonly string[];
  readonly presentAt?: string;
}

export interface BulkRowResult {
  readonly row: number;
  readonly line: number;
  readonly outcome: 'enrolled' | 'refused' | 'failed';
  readonly application?: string;
  readonly client?: string;
  readonly package?: string;
  readonly code?: string;
  readonly message?: string;
}

export interface BulkResult {
  readonly bulk: string;
  /** SHA-256 of the file: the same file run again continues this run. */
  readonly digest: string;
  readonly resumed: boolean;
  readonly rows: readonly BulkRowResult[];
  readonly enrolled: number;
  readonly refused: number;
  readonly failed: number;
}

export const enrolmentCalls = {
  /**
   * A CSV of applicants (docs/applicants-csv.md), validated whole before anything happens, each row taken
   * through the steps; the same file again continues a run cut short. Rows above the two-person threshold
   * need the run's approver (never the operator who checked that row's identity).
   */
  bulk: call({
    args: object({ csv: text({ maxLength: 32 << 20 }), keysDir: text({ maxLength: 4096 }) }),
    result: returns<BulkResult>(),
    access: ['operator'],
    approvalOptional: ['operator', 'admin'],
  }),
  apply: call({ args: object({ name: personName, medium: oneOf(MEDIA) }), result: returns<ApplicationView>(), access: ['desk', 'operator'] }),
  /** The clerk's identity check: the document, its number (only its last digits and an HMAC are kept), the checks confirmed, the outcome. */
  checkIdentity: call({
    args: object({
      application: applicationId,
      document: oneOf(DOCUMENTS),
      number: text({ maxLength: 40, pattern: DOCUMENT_NUMBER }),
      checks: list(text({ maxLength: 40, pattern: /^[a-z-]{1,40}$/ }), { maxItems: 20 }),
      outcome: oneOf(['accepted', 'refused'] as const),
      reason: optional(reason),
    }),
    result: returns<ApplicationView>(),
    access: ['desk', 'operator'],
  }),
  /** Registers the accepted applicant as a client: an ID unique within the hub, initial keys from the pool. */
  register: call({ args: object({ application: applicationId }), result: returns<ApplicationView>(), access: ['desk', 'operator'] }),
  /** Writes the initial keys to their own medium (a file for the sealed envelope), never the PSRD's. */
  handOverKeys: call({ args: object({ application: applicationId, to: text({ maxLength: 4096, pattern: /^file:.+$/ }) }), result: returns<ApplicationView>(), access: ['desk', 'operator'] }),
  /** The client's "I'm here" code, derived from its initial keys, checked against the station's. */
  confirmPresence: call({ args: object({ application: applicationId, code: text({ maxLength: 8, pattern: /^[0-9]{8}$/ }) }), result: returns<ApplicationView>(), access: ['desk', 'operator'] }),
  /** The hand receipt of one delivered package, as a PDF written to a file, recorded with its HMAC. */
  receipt: call({
    args: object({ application: applicationId, package: text({ maxLength: 36, pattern: /^pkg-[0-9a-f]{32}$/ }), to: text({ maxLength: 4096, pattern: /^file:.+\.pdf$/i }) }),
    result: returns<{ readonly receipt: string; readonly path: string; readonly package: string }>(),
    access: ['desk', 'operator'],
  }),
  /** Checks a receipt file against the ledger: the receipt was issued, and the file is exactly it. */
  verifyReceipt: call({ args: object({ path: text({ maxLength: 4096 }) }), result: returns<{ readonly ok: boolean; readonly receipt?: string; readonly client?: string; readonly package?: string; readonly problem?: string }>(), access: 'signed-in' }),
  /**
   * Erases what the station holds about the person (the name as given) on their request; the ledger keeps
   * only IDs and HMACs, so its chain stays whole and verifiable.
   */
  forget: call({ args: object({ application: applicationId }), result: returns<ApplicationView>(), access: ['admin'] }),
  withdraw: call({ args: object({ application: applicationId, reason }), result: returns<ApplicationView>(), access: ['desk', 'operator'] }),
  list: call({ args: object({ open: optional(oneOf(['yes', 'no'] as const)) }), result: returns<ApplicationView[]>(), access: 'signed-in' }),
  show: call({ args: object({ application: applicationId }), result: returns<ApplicationView>(), access: 'signed-in' }),
} as const;

export const enrolmentErrors = {
  'unknown-application': 'There is no application with that ID.',
  'wrong-step': 'The application is not at the step this needs; its next step is in the message.',
  'identity-not-checked': 'This client’s identity has not been checked and accepted at the desk; nothing is delivered before it is.',
  'presence-mismatch': 'The code does not match this client’s initial keys; nothing was recorded as confirmed.',
  'same-person': 'The clerk who checked this person’s identity cannot also approve their delivery: a second person must.',
} as const;

export type EnrolmentEvents = Record<never, never>;
export const enrolmentEventNames = [] as const;
