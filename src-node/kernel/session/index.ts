// The session core, socket-free: handshake, keys, encrypted channel. Session messages live in
// src-shared/protocol/messages.
export * from './handshake.js';
export * from './handshake-flow.js';
export * from './nonce-cache.js';
export * from './psk-proof.js';
export * from './secure-channel.js';
export * from './session-keys.js';
