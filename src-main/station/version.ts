// The station's version, shown in the UI and recorded by `session.info`.
export const VERSION = '0.1.0';
