// The preload: exposes exactly `window.pnode` (the PNodeBridge) in the page's world. It runs in a
// sandboxed renderer, where `require` knows only 'electron' (and a few polyfills), so this file is
// bundled by scripts/build-main.mjs into one CommonJS file whose only import is 'electron'.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './preload-bridge.js';

const bridge = createBridge({
  invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
  // Only the payload reaches the bridge: the IpcRendererEvent (which holds ipcRenderer) never does.
  on: (channel, listener) => {
    ipcRenderer.on(channel, (_event, payload: unknown) => listener(payload));
  },
});

contextBridge.exposeInMainWorld('pnode', bridge);
