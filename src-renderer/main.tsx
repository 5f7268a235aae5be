// Start-up: choose the carrier, wire the store to it, render the window.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { selectBridge } from './bridge/select-bridge.js';
import { connectNodeStore, createNodeStore } from './store/node-store.js';
import { NodeStoreProvider } from './store/store-context.js';
import { documentVisibility } from './visibility.js';
import './styles.css';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const choice = selectBridge(
  { pnode: (window as { pnode?: unknown }).pnode, location: window.location, history: window.history, sessionStorage: storage() },
  { visibility: documentVisibility(), fetch: (url, init) => window.fetch(url, init) },
);
const store = createNodeStore(choice.bridge);
connectNodeStore(store, choice.bridge);

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <NodeStoreProvider store={store}>
      <App />
    </NodeStoreProvider>
  </StrictMode>,
);
