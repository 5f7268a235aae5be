// pnode:// links from the operating system (issue 12 §1): the app is the `pnode` scheme's handler
// (electron-builder `protocols`, `app.setAsDefaultProtocolClient`). A link arrives in the command
// line of a launch (Windows, Linux: the first launch, or a second one whose argv the running
// instance receives) or as macOS's `open-url`. Whatever the way, it is only handed to the node as
// `open-invite`: the window then shows "Join <network>?" and nothing changes before the click.
import { INVITE_MAX_CHARS } from '../src-shared/network/invite.js';

export const INVITE_PROTOCOL = 'pnode';

/** The pnode:// link in a command line, if any (the last one, when several); null when none fits. */
export function inviteFromArgv(argv: readonly string[]): string | null {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i]!;
    if (arg.length <= INVITE_MAX_CHARS && /^pnode:\/\//i.test(arg)) return arg;
  }
  return null;
}

/** An open-url's URL when it is one of ours. */
export function inviteFromUrl(url: string): string | null {
  return inviteFromArgv([url]);
}

/**
 * Links that arrive before the node has started wait here (bounded: only the newest counts);
 * `ready` hands them over as they come afterwards.
 */
export function createInviteInbox(open: (invite: string) => void): { receive(invite: string): void; ready(): void } {
  let waiting: string | null = null;
  let isReady = false;
  return {
    receive(invite) {
      if (isReady) open(invite);
      else waiting = invite;
    },
    ready() {
      isReady = true;
      if (waiting !== null) open(waiting);
      waiting = null;
    },
  };
}
