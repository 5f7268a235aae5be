// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsScreen } from './SettingsScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { PEER_A, PEER_B, sampleState } from '../testing/sample-state.js';
import type { NodeState } from '../../src-shared/control/state.js';

afterEach(cleanup);

function withNetwork(fields: Partial<NodeState['network']>): NodeState {
  const state = sampleState();
  return { ...state, network: { ...state.network, ...fields } };
}

describe('settings', () => {
  it('adds a seed after checking it as the node would', async () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<SettingsScreen node={state} />, state);
    const form = screen.getByRole('form', { name: 'Add a seed' });
    fireEvent.change(within(form).getByLabelText('Seed node id'), { target: { value: 'not-an-id' } });
    fireEvent.change(within(form).getByLabelText('Seed address'), { target: { value: 'https://wrong.scheme' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add seed' }));
    expect(bridge.commands).toEqual([]);
    expect(within(form).getByText(/Enter the seed’s node id/)).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('Seed node id'), { target: { value: PEER_A } });
    fireEvent.change(within(form).getByLabelText('Seed address'), { target: { value: 'wss://seed.example.org:7443' } });
    fireEvent.change(within(form).getByLabelText('Label (optional)'), { target: { value: 'home seed' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add seed' }));
    await waitFor(() => expect(bridge.commands).toEqual([{ command: 'add-seed', nodeId: PEER_A, url: 'wss://seed.example.org:7443', label: 'home seed' }]));
  });

  it('removes seeds and directories, and adds a directory', async () => {
    const state = withNetwork({ seeds: [{ nodeId: PEER_B, url: 'wss://s.example.org', label: 'bravo' }], directories: ['https://dir.example.org'] });
    const { bridge } = renderWithNode(<SettingsScreen node={state} />, state);
    fireEvent.click(screen.getByRole('button', { name: 'Remove seed bravo' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove directory https://dir.example.org' }));
    fireEvent.change(screen.getByLabelText('Directory address'), { target: { value: 'https://dir2.example.org' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add directory' }));
    await waitFor(() => expect(bridge.commands).toHaveLength(3));
    expect(bridge.commands).toEqual([
      { command: 'remove-seed', nodeId: PEER_B },
      { command: 'remove-directory', url: 'https://dir.example.org' },
      { command: 'add-directory', url: 'https://dir2.example.org' },
    ]);
  });

  it('switches allowlist mode and edits its entries', async () => {
    const state = withNetwork({ allowlist: [PEER_B] });
    const { bridge } = renderWithNode(<SettingsScreen node={state} />, state);
    fireEvent.click(screen.getByRole('switch', { name: /Allowlist only/ }));
    fireEvent.click(screen.getByRole('button', { name: /from the allowlist$/ }));
    fireEvent.change(screen.getByLabelText('Node id to allow'), { target: { value: PEER_A } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(bridge.commands).toHaveLength(3));
    expect(bridge.commands).toEqual([
      { command: 'set-allowlist-mode', enabled: true },
      { command: 'allowlist-remove', nodeId: PEER_B },
      { command: 'allowlist-add', nodeId: PEER_A },
    ]);
  });

  it('shows the identity and warns loudly when the key is in a plain file', () => {
    const state = sampleState();
    const fileKey = { ...state, identity: { ...state.identity!, keystore: 'file' as const } };
    renderWithNode(<SettingsScreen node={fileKey} />, fileKey);
    expect(screen.getByText(state.identity!.nodeId)).toBeTruthy();
    expect(screen.getByText(state.identity!.participantId)).toBeTruthy();
    expect(screen.getByRole('note').textContent).toMatch(/plain file/);
  });

  it('exports the identity after the passphrase is entered twice, offering the backup as a download', async () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<SettingsScreen node={state} />, state);
    bridge.answer = () => ({ ok: true, value: '{"kind":"pnode-identity-backup.v1"}' });
    const form = screen.getByRole('form', { name: 'Export identity' });
    fireEvent.change(within(form).getByLabelText('Passphrase'), { target: { value: 'correct horse' } });
    fireEvent.change(within(form).getByLabelText('Passphrase again'), { target: { value: 'correct horsf' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Export backup' }));
    expect(within(form).getByText('The two passphrases differ.')).toBeTruthy();
    expect(bridge.commands).toEqual([]);
    fireEvent.change(within(form).getByLabelText('Passphrase again'), { target: { value: 'correct horse' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Export backup' }));
    const link = await screen.findByRole('link', { name: /^Download pnode-identity-/ });
    expect(link.getAttribute('href')).toMatch(/^blob:/);
    expect(link.getAttribute('download')).toMatch(/\.json$/);
    expect(bridge.commands).toEqual([{ command: 'export-identity', passphrase: 'correct horse' }]);
  });

  it('imports an identity from pasted text and a passphrase', async () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<SettingsScreen node={state} />, state);
    const form = screen.getByRole('form', { name: 'Import identity' });
    fireEvent.change(within(form).getByLabelText('Backup text'), { target: { value: '{"kind":"pnode-identity-backup.v1"}' } });
    fireEvent.change(within(form).getByLabelText('Backup passphrase'), { target: { value: 'correct horse' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Import identity' }));
    await screen.findByText('Identity restored.');
    expect(bridge.commands).toEqual([{ command: 'import-identity', backup: '{"kind":"pnode-identity-backup.v1"}', passphrase: 'correct horse' }]);
  });

  it('disables launch at login where the node cannot change it, and sends it where it can', () => {
    const state = sampleState();
    renderWithNode(<SettingsScreen node={state} />, state);
    const checkbox = screen.getByLabelText('Start PNode when I log in') as HTMLInputElement;
    expect(checkbox.disabled).toBe(true);
    expect(screen.getByText(/Only the desktop app can start at login/)).toBeTruthy();
    cleanup();
    const desktop = { ...state, launchAtLogin: false };
    const { bridge } = renderWithNode(<SettingsScreen node={desktop} />, desktop);
    fireEvent.click(screen.getByLabelText('Start PNode when I log in'));
    expect(bridge.commands).toEqual([{ command: 'set-launch-at-login', enabled: true }]);
  });
});
