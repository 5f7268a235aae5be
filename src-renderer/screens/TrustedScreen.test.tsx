// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrustedView } from '../../src-shared/control/state.js';
import { TrustedScreen } from './TrustedScreen.js';
import { renderWithNode } from '../testing/render-app.js';
import { ORCH, sampleState } from '../testing/sample-state.js';

afterEach(cleanup);

const TRUSTED: TrustedView = {
  state: 'trusted',
  operatorId: ORCH,
  credentialId: 'cred:01JQ0007',
  validFrom: '2026-03-01T00:00:00Z',
  validUntil: '2026-06-01T00:00:00Z',
  lastError: null,
  revoked: null,
};

describe('trusted registration', () => {
  it('explains what it means and enrolls with the token entered', async () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<TrustedScreen trusted={state.trusted} />, state);
    expect(screen.getByRole('heading', { level: 2, name: 'What it means' })).toBeTruthy();
    expect(screen.getByText('Not enrolled')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Enrollment token'), { target: { value: '  enr_4f9c2a7b1e  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Enroll' }));
    expect(bridge.commands).toEqual([{ command: 'enroll', token: 'enr_4f9c2a7b1e' }]);
    await waitFor(() => expect((screen.getByLabelText('Enrollment token') as HTMLTextAreaElement).value).toBe(''));
  });

  it('says a failed enrollment in plain words, not a lasting red "Error"; the code in a details line', () => {
    const state = sampleState();
    const failed = { ...state.trusted, state: 'error' as const, lastError: 'E_SIG_UNKNOWN_SIGNER the token is not known to this authority' };
    renderWithNode(<TrustedScreen trusted={failed} />, { ...state, trusted: failed });
    expect(screen.getByText('Not enrolled')).toBeTruthy();
    expect(screen.queryByText('Error')).toBeNull();
    expect(screen.getByText(/The operator did not accept this token\./)).toBeTruthy();
    expect(screen.getByText(/E_SIG_UNKNOWN_SIGNER the token is not known/).closest('details')).toBeTruthy();
  });

  it('asks for a token instead of sending an empty one', () => {
    const state = sampleState();
    const { bridge } = renderWithNode(<TrustedScreen trusted={state.trusted} />, state);
    fireEvent.click(screen.getByRole('button', { name: 'Enroll' }));
    expect(bridge.commands).toEqual([]);
    expect(screen.getByText('Paste the enrollment token your operator gave you.')).toBeTruthy();
  });

  it('shows the credential and renews or rotates it', async () => {
    const { bridge } = renderWithNode(<TrustedScreen trusted={TRUSTED} />, { ...sampleState(), trusted: TRUSTED });
    expect(screen.getByText('Trusted')).toBeTruthy();
    expect(screen.queryByLabelText('Enrollment token')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Renew credential' }));
    fireEvent.click(screen.getByRole('button', { name: 'Rotate operator key' }));
    await waitFor(() => expect(bridge.commands).toEqual([{ command: 'renew-credential' }, { command: 'rotate-operator-key' }]));
  });

  it('says in plain words that the credential was revoked, when and why, and offers to enroll again', () => {
    const revoked: TrustedView = {
      ...TRUSTED,
      state: 'revoked',
      lastError: 'E_TRANSPORT_REJECTED operator-credential.v1 cred:01JQ0007 was revoked by its registration authority',
      revoked: { at: '2026-04-02T09:30:00Z', reason: 'laptop stolen' },
    };
    renderWithNode(<TrustedScreen trusted={revoked} />, { ...sampleState(), trusted: revoked });
    expect(screen.getByText('Revoked')).toBeTruthy();
    const notice = screen.getByText('This computer’s trusted registration was revoked').closest('.banner')!;
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.textContent).toContain('“laptop stolen”');
    expect(notice.textContent).toContain('keeps contributing as an untrusted node');
    expect(notice.textContent).toContain('ask your operator for a new enrollment token');
    // The protocol's wording stays out of sight; the credential is named one click away.
    expect(screen.queryByText(/E_TRANSPORT_REJECTED/)).toBeNull();
    expect(screen.getByText('cred:01JQ0007')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Renew credential' })).toBeNull();
    expect(screen.getByRole('heading', { level: 2, name: 'Enroll again' })).toBeTruthy();
    expect(screen.getByLabelText('Enrollment token')).toBeTruthy();
  });
});
