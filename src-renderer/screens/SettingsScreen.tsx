import type { NodeState } from '../../src-shared/control/state.js';
import { AllowlistSettings } from '../components/AllowlistSettings.js';
import { DirectoriesSettings } from '../components/DirectoriesSettings.js';
import { ExportIdentity } from '../components/ExportIdentity.js';
import { IdentitySettings } from '../components/IdentitySettings.js';
import { ImportIdentity } from '../components/ImportIdentity.js';
import { LaunchAtLogin } from '../components/LaunchAtLogin.js';
import { NetworkSettings } from '../components/NetworkSettings.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { SeedsSettings } from '../components/SeedsSettings.js';

/** Network, discovery, who may connect, identity and start-up. */
export function SettingsScreen({ node }: { node: NodeState }) {
  const { network } = node;
  return (
    <>
      <ScreenHeading>Settings</ScreenHeading>
      <div className="grid">
        <NetworkSettings network={network} />
        <IdentitySettings identity={node.identity} />
        <SeedsSettings seeds={network.seeds} />
        <DirectoriesSettings directories={network.directories} configured={network.configuredDirectories ?? []} />
        <AllowlistSettings enabled={network.allowlistMode} entries={network.allowlist} />
        {node.identity !== null && <ExportIdentity nodeId={node.identity.nodeId} />}
        <ImportIdentity />
        <LaunchAtLogin enabled={node.launchAtLogin} />
      </div>
    </>
  );
}
