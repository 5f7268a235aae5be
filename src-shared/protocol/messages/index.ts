// Session messages: the codec, the registry of kinds and the core bodies.
export * from './body-codec.js';
export * from './core-bodies.js';
export * from './discovery-bodies.js';
export * from './kinds.js';
export * from './session-message.js';
