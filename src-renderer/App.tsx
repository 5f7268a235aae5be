// The window: header, connection and error banners, navigation, and the current screen.
import { useEffect, useRef, useState } from 'react';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { ErrorBanner } from './components/ErrorBanner.js';
import { JoinConfirmation } from './components/JoinConfirmation.js';
import { NavBar } from './components/NavBar.js';
import { NodeName } from './components/NodeName.js';
import { CreditScreen } from './screens/CreditScreen.js';
import { NavigateContext } from './navigation.js';
import { Notices } from './components/Notices.js';
import { StatusBadge } from './components/StatusBadge.js';
import { ActivityScreen } from './screens/ActivityScreen.js';
import { DashboardScreen } from './screens/DashboardScreen.js';
import { FirstRunScreen } from './screens/FirstRunScreen.js';
import { LimitsScreen } from './screens/LimitsScreen.js';
import { PeersScreen } from './screens/PeersScreen.js';
import type { ScreenId } from './screens/screen-list.js';
import { SettingsScreen } from './screens/SettingsScreen.js';
import { TrustedScreen } from './screens/TrustedScreen.js';
import { VNodesScreen } from './screens/VNodesScreen.js';
import { useNode } from './store/store-context.js';
import type { NodeState } from '../src-shared/control/state.js';

function Screen({ screen, node }: { screen: ScreenId; node: NodeState }) {
  switch (screen) {
    case 'dashboard':
      return <DashboardScreen node={node} />;
    case 'peers':
      return <PeersScreen />;
    case 'limits':
      return <LimitsScreen node={node} />;
    case 'vnodes':
      return <VNodesScreen node={node} />;
    case 'credit':
      return <CreditScreen node={node} />;
    case 'trusted':
      return <TrustedScreen trusted={node.trusted} />;
    case 'activity':
      return <ActivityScreen />;
    case 'settings':
      return <SettingsScreen node={node} />;
  }
}

function Waiting() {
  const connection = useNode((s) => s.connection);
  if (connection.kind === 'no-token' || connection.kind === 'refused') {
    return (
      <div className="waiting">
        <h1 tabIndex={-1}>{connection.kind === 'no-token' ? 'Open your dashboard link' : 'This link is wrong or has expired'}</h1>
        <p className="lead">
          {connection.kind === 'no-token'
            ? 'This page shows a PNode’s dashboard, but it was opened without its link, so it cannot connect.'
            : 'The node is running, but it does not accept this link: it is from an earlier set-up, or part of it is missing.'}
        </p>
        <p>
          Open the address the node printed when it started (the line that begins with <code>dashboard</code>). It ends in{' '}
          <code>#token=…</code>. The same address is also in <code>dashboard.json</code> in the node’s data folder.
        </p>
      </div>
    );
  }
  return (
    <div className="waiting">
      <h1 tabIndex={-1}>PNode</h1>
      <p className="lead">
        {connection.kind === 'disconnected'
          ? 'The node cannot be reached: it is not running, or it is restarting. This page fills in by itself once it is back.'
          : 'Waiting for your node to report its state…'}
      </p>
    </div>
  );
}

export function App({ initialScreen = 'dashboard' }: { initialScreen?: ScreenId }) {
  const node = useNode((s) => s.node);
  const firstRunDismissed = useNode((s) => s.firstRunDismissed);
  const [screen, setScreen] = useState<ScreenId>(initialScreen);
  const mainRef = useRef<HTMLElement>(null);
  const [navigations, setNavigations] = useState(0);

  const firstRun = node !== null && !node.network.joined && !firstRunDismissed;

  // After choosing a section, put focus on its heading so keyboard and screen-reader users land there.
  useEffect(() => {
    if (navigations > 0) mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [navigations]);

  const select = (next: ScreenId): void => {
    setScreen(next);
    setNavigations((n) => n + 1);
  };

  return (
    <NavigateContext.Provider value={select}>
    <div className="app">
      <button type="button" className="skip-link" onClick={() => mainRef.current?.querySelector<HTMLElement>('h1')?.focus()}>
        Skip to content
      </button>
      <header className="app-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">PNode</span>
          {node?.network.name && <span className="brand-network">{node.network.name}</span>}
        </div>
        {node !== null && (
          <div className="header-status" aria-live="polite">
            <span className="sr-only">Contribution: </span>
            <StatusBadge status={node.contribution.status} />
          </div>
        )}
      </header>
      <div className="banners">
        <ConnectionBanner />
        <Notices />
      </div>
      <div className={`app-body${firstRun || node === null ? ' app-body-single' : ''}`}>
        {!firstRun && node !== null && <NavBar current={screen} onSelect={select} />}
        <main ref={mainRef} className="main">
          <ErrorBanner />
          {node === null ? (
            <Waiting />
          ) : firstRun ? (
            <FirstRunScreen onRestore={() => select('settings')} />
          ) : (
            <Screen screen={screen} node={node} />
          )}
        </main>
      </div>
      {node !== null && <JoinConfirmation />}
      {node !== null && (
        <footer className="app-footer">
          <span>PNode {node.version}</span>
          {node.identity && (
            <span className="footer-node">
              this computer: <NodeName id={node.identity.nodeId} />
            </span>
          )}
        </footer>
      )}
    </div>
    </NavigateContext.Provider>
  );
}
