// What the desk checks of each kind of identity document (issue S7, part 1; spec §11.1: "a validation
// of the correct real-world identity of the recipient"). An identity check is accepted only when every
// check of its document's list was confirmed by the clerk in front of the person. The station keeps the
// minimum: the document type, the last digits of its number, and an HMAC of the number under the audit
// key — never a scan, never the full number.

export const DOCUMENTS = ['passport', 'id-card', 'driving-licence', 'residence-permit'] as const;
export type DocumentType = (typeof DOCUMENTS)[number];

export const IDENTITY_CHECKS: Readonly<Record<DocumentType, Readonly<Record<string, string>>>> = {
  passport: {
    'photo-matches': 'The photo matches the person in front of the desk.',
    'not-expired': 'The passport has not expired.',
    'mrz-consistent': 'The machine-readable zone agrees with the printed name, number and dates.',
    'name-matches': 'The name agrees with the application.',
  },
  'id-card': {
    'photo-matches': 'The photo matches the person in front of the desk.',
    'not-expired': 'The card has not expired.',
    'security-features': 'The card’s security features (hologram, tactile print) are present.',
    'name-matches': 'The name agrees with the application.',
  },
  'driving-licence': {
    'photo-matches': 'The photo matches the person in front of the desk.',
    'not-expired': 'The licence has not expired.',
    'name-matches': 'The name agrees with the application.',
  },
  'residence-permit': {
    'photo-matches': 'The photo matches the person in front of the desk.',
    'not-expired': 'The permit has not expired.',
    'security-features': 'The permit’s security features are present.',
    'name-matches': 'The name agrees with the application.',
  },
};

/** A document number as typed at the desk: letters, digits and dashes. */
export const DOCUMENT_NUMBER = /^[A-Za-z0-9-]{4,40}$/;

/** The checks of a document that were not confirmed. */
export function missingChecks(document: DocumentType, confirmed: readonly string[]): string[] {
  return Object.keys(IDENTITY_CHECKS[document]).filter((k) => !confirmed.includes(k));
}

/** The last digits kept of a document number (the rest is only HMACed). */
export function lastDigits(number: string): string {
  return number.replace(/-/g, '').slice(-4);
}
