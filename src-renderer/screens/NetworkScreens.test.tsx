// @vitest-environment happy-dom
// Issue 12's screens: First run's ways in, the Join confirmation, Settings › Network.
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { InvitePreview, NetworkBookView, NetworkDetailsView, NodeState } from '../../src-shared/control/state.js';
import { App } from '../App.js';
import { inviteTextFrom } from '../network/invite-text.js';
import { renderWithNode } from '../testing/render-app.js';
import { ORCH, freshState, sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

const OWNER = 'node:did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG';

function details(name: string, fields: Partial<NetworkDetailsView> = {}): NetworkDetailsView {
  return {
    networkId: `net:${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    name,
    owner: OWNER,
    joinPolicy: 'open',
    pskHint: null,
    createdAt: '2026-03-01T00:00:00Z',
    expiresAt: '2027-03-01T00:00:00Z',
    orchestrators: [{ nodeId: ORCH, url: 'wss://orchestrator.example.org/peer' }],
    directories: ['https://directory.example.org'],
    seeds: [],
    trustRoots: [],
    onThisComputer: false,
    descriptorUrl: null,
    ...fields,
  };
}

function book(fields: Partial<NetworkBookView> = {}): NetworkBookView {
  return { current: null, currentInvite: null, known: [], defaultNetwork: null, pendingInvite: null, refusedInvite: null, switching: null, problem: null, canTryLocal: true, ...fields };
}

function withBook(state: NodeState, fields: Partial<NetworkBookView>): NodeState {
  return { ...state, network: { ...state.network, book: book(fields) } };
}

const LINK = 'pnode://join/d1/eyJhIjoxfQ';

function preview(name: string, fields: Partial<InvitePreview> = {}): InvitePreview {
  return { details: details(name), invite: LINK, known: false, current: false, needsKey: false, ...fields };
}

describe('first run with a network book', () => {
  it('offers the build’s default network in one click, an invite, and a test network here', async () => {
    const { bridge } = renderWithNode(<App />, withBook(freshState(), { defaultNetwork: details('Folding Friends') }));
    bridge.answer = () => ({ ok: false, error: { code: 'failed', message: 'no orchestrator answers' } });
    fireEvent.click(screen.getByRole('button', { name: 'Join Folding Friends' }));
    expect(bridge.commands).toEqual([{ command: 'join-network', networkId: 'net:folding-friends' }]);
    // While one way in is on its way, the others wait.
    expect((screen.getByRole('button', { name: 'Try it on this computer' }) as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect((screen.getByRole('button', { name: 'Try it on this computer' }) as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByRole('button', { name: 'Try it on this computer' }));
    expect(bridge.commands.at(-1)).toEqual({ command: 'try-local-network' });
  });

  it('sends a pasted invite to the node to read; a refusal is shown beside it in plain words with its code', async () => {
    const { bridge } = renderWithNode(<App />, withBook(freshState(), {}));
    bridge.answer = () => ({ ok: false, error: { code: 'failed', message: 'This invite has been altered or damaged.', protocolCode: 'E_SIG_INVALID' } });
    const form = screen.getByRole('form', { name: 'Join with an invite' });
    fireEvent.change(within(form).getByLabelText('Invite link'), { target: { value: `  ${LINK}\n` } });
    fireEvent.click(within(form).getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(within(form).getByRole('alert').textContent).toContain('altered or damaged'));
    expect(within(form).getByRole('alert').textContent).toContain('E_SIG_INVALID');
    expect(bridge.commands).toEqual([{ command: 'open-invite', invite: LINK }]);
    // Not in the page's banner as well.
    expect(screen.queryByText(/Could not open the invite/)).toBeNull();
  });

  it('checks the text first: what is not an invite never reaches the node', () => {
    const { bridge } = renderWithNode(<App />, withBook(freshState(), {}));
    const form = screen.getByRole('form', { name: 'Join with an invite' });
    fireEvent.click(within(form).getByRole('button', { name: 'Continue' }));
    expect(within(form).getByRole('alert').textContent).toMatch(/Paste an invite/);
    fireEvent.change(within(form).getByLabelText('Invite link'), { target: { value: 'hello there' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Continue' }));
    expect(within(form).getByRole('alert').textContent).toMatch(/starts with pnode:\/\/join/);
    expect(bridge.commands).toEqual([]);
  });

  it('turns a descriptor file into the link that carries it', () => {
    expect(inviteTextFrom('{\n  "network/id": "net:x"\n}\n')).toBe(`pnode://join/d1/${btoa('{"network/id":"net:x"}').replace(/=+$/, '')}`);
    expect(inviteTextFrom(' pnode://join/u1/a.b ')).toBe('pnode://join/u1/a.b');
  });

  it('says why the node is in no network any more, with the code', () => {
    renderWithNode(<App />, withBook(freshState(), { problem: { code: 'E_ADV_EXPIRED', message: 'This invite has expired.' } }));
    expect(screen.getByText(/This invite has expired/).textContent).toContain('E_ADV_EXPIRED');
  });
});

/** The dashboard behind the dialog reads its history, receipts and log; what matters here is what the dialog changes. */
const READS = new Set(['get-history', 'list-receipts', 'list-activity', 'get-receipt', 'get-result-picture', 'list-networks']);
function changes(commands: readonly { readonly command: string }[]): readonly { readonly command: string }[] {
  return commands.filter((c) => !READS.has(c.command));
}

describe('the Join confirmation', () => {
  it('shows who signed it, what joining means and the limits; nothing is sent before Join', () => {
    const { bridge } = renderWithNode(<App />, withBook(freshState(), { pendingInvite: preview('Lab Net') }));
    const dialog = screen.getByRole('dialog', { name: 'Join Lab Net?' });
    expect(within(dialog).getByText('Signed by')).toBeTruthy();
    expect(within(dialog).getByText(/the network’s owner/)).toBeTruthy();
    expect(within(dialog).getByText(/Within your limits/)).toBeTruthy();
    expect(bridge.commands).toEqual([]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Join Lab Net' }));
    expect(bridge.commands).toEqual([{ command: 'join-network', invite: LINK }]);
  });

  it('Cancel forgets the invite', () => {
    const { bridge } = renderWithNode(<App />, withBook(sampleState(), { pendingInvite: preview('Lab Net') }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    expect(changes(bridge.commands)).toEqual([{ command: 'dismiss-invite' }]);
  });

  it('a private network asks for its key before joining', async () => {
    const { bridge } = renderWithNode(<App />, withBook(freshState(), { pendingInvite: preview('Secret Lab', { needsKey: true }) }));
    const dialog = screen.getByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Join Secret Lab' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/enter its key/);
    expect(bridge.commands).toEqual([]);
    fireEvent.change(within(dialog).getByLabelText('Network key'), { target: { value: 'ab'.repeat(32) } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Join Secret Lab' }));
    await waitFor(() => expect(bridge.commands).toEqual([{ command: 'join-network', invite: LINK, psk: 'ab'.repeat(32) }]));
  });

  it('says why a link the system handed over was refused, with its code, until closed', () => {
    const { bridge } = renderWithNode(<App />, withBook(sampleState(), { refusedInvite: { code: 'E_ADV_EXPIRED', message: 'This invite has expired. Nothing was changed.' } }));
    const dialog = screen.getByRole('alertdialog', { name: 'This invite cannot be used' });
    expect(dialog.textContent).toContain('E_ADV_EXPIRED');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(changes(bridge.commands)).toEqual([{ command: 'dismiss-invite' }]);
  });

  it('goes away when the node has no invite pending any more', () => {
    const { bridge } = renderWithNode(<App />, withBook(freshState(), { pendingInvite: preview('Lab Net') }));
    const state = withBook(freshState(), {});
    act(() => bridge.push({ type: 'patch', patch: { network: state.network } }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('Settings › Network', () => {
  function inSettings(fields: Partial<NetworkBookView>) {
    const state = withBook(sampleState(), fields);
    const rendered = renderWithNode(<App initialScreen="settings" />, state);
    return { ...rendered, card: screen.getByRole('region', { name: 'Network' }) };
  }

  it('shows the current network from its descriptor, and its invite as a link and a QR code', () => {
    const current = details('Lab Net', { trustRoots: ['lab-ca.pem'] });
    const { card } = inSettings({ current, currentInvite: LINK });
    expect(within(card).getByText('Lab Net')).toBeTruthy();
    expect(within(card).getByText('lab-ca.pem')).toBeTruthy();
    expect(within(card).getByText('https://directory.example.org')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Invite others' }));
    expect(within(card).getByRole('img', { name: /QR code of the invite to Lab Net/ })).toBeTruthy();
    expect(within(card).getByText(LINK)).toBeTruthy();
  });

  it('leaves only after a confirmation', () => {
    const { bridge, card } = inSettings({ current: details('Lab Net'), currentInvite: LINK });
    fireEvent.click(within(card).getByRole('button', { name: 'Leave network…' }));
    expect(bridge.commands).toEqual([]);
    fireEvent.click(within(card).getByRole('button', { name: 'Cancel' }));
    expect(bridge.commands).toEqual([]);
    fireEvent.click(within(card).getByRole('button', { name: 'Leave network…' }));
    fireEvent.click(within(card).getByRole('button', { name: 'Leave the network' }));
    expect(bridge.commands).toEqual([{ command: 'leave-network' }]);
  });

  it('lists the networks joined before, to join again or forget', async () => {
    const old = details('Old Lab');
    const { bridge, card } = inSettings({
      current: details('Lab Net'),
      known: [
        { details: details('Lab Net'), source: 'invite', lastJoinedAt: 2, expired: false, hasKey: false },
        { details: old, source: 'invite', lastJoinedAt: 1, expired: false, hasKey: false },
      ],
    });
    const list = within(card).getByRole('list', { name: 'Networks joined before' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(1);
    fireEvent.click(within(list).getByRole('button', { name: 'Join Old Lab again' }));
    const forget = within(list).getByRole('button', { name: 'Forget Old Lab' }) as HTMLButtonElement;
    await waitFor(() => expect(forget.disabled).toBe(false));
    fireEvent.click(forget);
    expect(bridge.commands).toEqual([
      { command: 'join-network', networkId: old.networkId },
      { command: 'forget-network', networkId: old.networkId },
    ]);
  });
});
