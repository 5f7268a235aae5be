import { describe, expect, it } from 'vitest';
import { INVITE_MAX_CHARS } from '../src-shared/network/invite.js';
import { createInviteInbox, inviteFromArgv, inviteFromUrl } from './invite-links.js';

describe('pnode:// links from the system', () => {
  it('finds the link in a launch’s command line (the last one), whatever case the scheme is in', () => {
    expect(inviteFromArgv(['/opt/PNode/pnode-desktop', '--no-sandbox', 'pnode://join/d1/abc'])).toBe('pnode://join/d1/abc');
    expect(inviteFromArgv(['app', 'PNODE://join/d1/a', 'pnode://join/d1/b'])).toBe('pnode://join/d1/b');
    expect(inviteFromArgv(['app', '--hidden', 'https://example.org/#join/d1/a'])).toBeNull();
    expect(inviteFromArgv(['app', `pnode://join/d1/${'A'.repeat(INVITE_MAX_CHARS)}`])).toBeNull();
    expect(inviteFromUrl('pnode://join/u1/a.b')).toBe('pnode://join/u1/a.b');
    expect(inviteFromUrl('file:///etc/passwd')).toBeNull();
  });

  it('holds a link that comes before the node is up (the newest), and hands the rest over as they come', () => {
    const opened: string[] = [];
    const inbox = createInviteInbox((invite) => opened.push(invite));
    inbox.receive('pnode://join/d1/first');
    inbox.receive('pnode://join/d1/second');
    expect(opened).toEqual([]);
    inbox.ready();
    inbox.receive('pnode://join/d1/third');
    expect(opened).toEqual(['pnode://join/d1/second', 'pnode://join/d1/third']);
  });
});
