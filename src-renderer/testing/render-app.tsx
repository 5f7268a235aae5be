// Renders a piece of the UI wired to a FakeBridge through a real store, as main.tsx does.
import { configure, render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import type { NodeState } from '../../src-shared/control/state.js';
import { connectNodeStore, createNodeStore, type NodeStore } from '../store/node-store.js';
import { NodeStoreProvider } from '../store/store-context.js';
import { FakeBridge } from './fake-bridge.js';

/**
 * How long `waitFor` and `findBy…` wait before they give up (the library's default is 1 s): patience
 * for a starved CPU, as tests/support/wait.ts explains; a passing test never waits it out.
 */
const ASYNC_PATIENCE_MS = 60_000;
configure({ asyncUtilTimeout: ASYNC_PATIENCE_MS });

export interface Rendered extends RenderResult {
  readonly bridge: FakeBridge;
  readonly store: NodeStore;
}

export function renderWithNode(ui: ReactElement, state: NodeState): Rendered {
  const bridge = new FakeBridge(state);
  const store = createNodeStore(bridge);
  connectNodeStore(store, bridge);
  store.getState().apply({ type: 'state', state });
  const result = render(<NodeStoreProvider store={store}>{ui}</NodeStoreProvider>);
  return { ...result, bridge, store };
}
