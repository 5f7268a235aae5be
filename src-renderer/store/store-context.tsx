// Hands the store to the component tree; components read slices of it with useNode(selector).
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { NodeStore, NodeStoreState } from './node-store.js';

const NodeStoreContext = createContext<NodeStore | null>(null);

export function NodeStoreProvider({ store, children }: { store: NodeStore; children: ReactNode }) {
  return <NodeStoreContext.Provider value={store}>{children}</NodeStoreContext.Provider>;
}

/** A slice of the store; the selector must return stored values (not new objects) to stay stable. */
export function useNode<T>(selector: (state: NodeStoreState) => T): T {
  const store = useContext(NodeStoreContext);
  if (store === null) throw new Error('useNode needs a NodeStoreProvider');
  return useStore(store, selector);
}
