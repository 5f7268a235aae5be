// The commands every node answers itself, whatever its role: joining and leaving, the identity's
// backup, seeds, directories, blocks and the allowlist. The role's components answer the rest
// (Availability: contribution and limits; trusted registration; signal markers), each registering
// its own handlers with NodeControl.
import type { CommandHandlers } from '../../src-shared/control/commands.js';
import type { NotificationKind } from '../../src-shared/control/messages.js';
import { isNodeId } from '../../src-shared/protocol/did-key.js';
import { allowlistPolicy, OPEN_POLICY } from '../kernel/peers/allowlist.js';
import { exportIdentity, importIdentity } from '../kernel/identity/backup.js';
import { installIdentity, readIdentitySecret } from '../kernel/identity/identity-store.js';
import type { NodeRuntime } from '../kernel/runtime/node-runtime.js';
import type { Settings } from '../kernel/runtime/settings.js';

type Notify = (kind: NotificationKind, title: string, body: string) => void;

export function kernelCommands(runtime: NodeRuntime, notify: Notify): CommandHandlers {
  const notAvailable = (message: string) => ({ ok: false as const, error: { code: 'not-available' as const, message } });

  /** The allowlist commands: refused when a file names the allowlist; otherwise settings, then the live policy. */
  async function changeAllowlist(change: (settings: Settings) => Settings) {
    if (runtime.config.allowlistFile) return notAvailable(`the allowlist comes from ${runtime.config.allowlistFile}; edit that file`);
    const next = await runtime.updateSettings(change);
    runtime.setAllowlist(next.allowlistMode ? allowlistPolicy(next.allowlist.filter(isNodeId)) : OPEN_POLICY);
    return { ok: true as const, value: null };
  }

  return {
    join: async () => {
      const wasJoined = runtime.settings.get().joined;
      await runtime.join();
      if (!wasJoined) notify('joined', 'Joined the network', 'This computer is now a PNode. You can pause or leave at any time.');
      return { ok: true, value: null };
    },
    leave: async () => {
      await runtime.leave();
      return { ok: true, value: null };
    },
    'export-identity': async (command) => {
      const { record, seed } = await readIdentitySecret({ dataDir: runtime.config.dataDir, keystore: runtime.keystore, crypto: runtime.crypto });
      try {
        const backup = await exportIdentity({ record, seed, passphrase: command.passphrase, crypto: runtime.crypto, clock: runtime.clock });
        return { ok: true, value: { backup, nodeId: record['node/id'] } };
      } finally {
        seed.fill(0);
      }
    },
    'import-identity': async (command) => {
      const imported = await importIdentity(command.backup, command.passphrase, { crypto: runtime.crypto });
      try {
        const installed = await installIdentity({ dataDir: runtime.config.dataDir, keystore: runtime.keystore, crypto: runtime.crypto, seed: imported.seed, createdAt: imported.createdAt });
        return { ok: true, value: { nodeId: imported.nodeId, outcome: installed.outcome } };
      } finally {
        imported.seed.fill(0);
      }
    },
    'add-seed': async (command) => {
      const label = command.label !== undefined ? { label: command.label } : {};
      // Stored first: a seed that could not be saved is not used either (a failed command leaves no trace).
      await runtime.updateSettings((s) => ({ ...s, seeds: [...s.seeds.filter((x) => x.nodeId !== command.nodeId), { nodeId: command.nodeId, url: command.url, ...label }] }));
      runtime.peers.upsertSeed({ nodeId: command.nodeId, urls: [command.url], ...label });
      runtime.connections.schedulePlan();
      return { ok: true, value: null };
    },
    'remove-seed': async (command) => {
      await runtime.updateSettings((s) => ({ ...s, seeds: s.seeds.filter((x) => x.nodeId !== command.nodeId) }));
      return { ok: true, value: null };
    },
    'add-directory': async (command) => {
      await runtime.updateSettings((s) => ({ ...s, directories: [...s.directories.filter((d) => d !== command.url), command.url] }));
      return { ok: true, value: null };
    },
    'remove-directory': async (command) => {
      await runtime.updateSettings((s) => ({ ...s, directories: s.directories.filter((d) => d !== command.url) }));
      return { ok: true, value: null };
    },
    'block-peer': (command) => {
      const record = runtime.peers.block(command.nodeId, { reason: 'blocked by hand', ...(command.minutes ? { durationMs: command.minutes * 60_000 } : {}) });
      if (!record) return { ok: false, error: { code: 'failed', message: `no known peer ${command.nodeId}` } };
      runtime.connections.get(command.nodeId)?.close('E_TRANSPORT_REJECTED', 'blocked');
      return { ok: true, value: null };
    },
    'unblock-peer': (command) => {
      if (!runtime.peers.unblock(command.nodeId)) return { ok: false, error: { code: 'failed', message: `no known peer ${command.nodeId}` } };
      runtime.connections.schedulePlan();
      return { ok: true, value: null };
    },
    'set-allowlist-mode': (command) => changeAllowlist((s) => ({ ...s, allowlistMode: command.enabled })),
    'allowlist-add': (command) => changeAllowlist((s) => ({ ...s, allowlist: [...s.allowlist.filter((id) => id !== command.nodeId), command.nodeId] })),
    'allowlist-remove': (command) => changeAllowlist((s) => ({ ...s, allowlist: s.allowlist.filter((id) => id !== command.nodeId) })),
    // The desktop shell answers this one itself (it owns the OS login item).
    'set-launch-at-login': () => notAvailable('launch at login is a desktop-app setting'),
  };
}
