/** The software version, also sent in descriptors and shown in the UI. */
export const PNODE_VERSION = '0.1.0';
