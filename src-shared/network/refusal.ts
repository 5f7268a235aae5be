// Why a network descriptor (an invite, a file, a renewal) was refused, in words a volunteer reads,
// with the protocol code kept beside it (issue 12: "a plain-language refusal with its code").
import type { ErrorCode } from '../protocol/errors.js';

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The plain-language sentence for a refused invite; `detail` is the protocol's own explanation. */
export function describeRefusal(code: ErrorCode, detail: string): Refusal {
  switch (code) {
    case 'E_SIG_INVALID':
      return { code, message: `This invite has been altered or damaged: its signature does not match what it says. Nothing was changed. Ask the network's owner for a new invite. (${detail})` };
    case 'E_SIG_UNKNOWN_SIGNER':
      return { code, message: `This invite is not signed by the network's owner. Nothing was changed. (${detail})` };
    case 'E_ADV_EXPIRED':
      return /not valid yet/.test(detail)
        ? { code, message: `This invite is dated in the future, so it is not valid yet. Check this computer's date and time. Nothing was changed. (${detail})` }
        : { code, message: `This invite has expired. Nothing was changed. Ask the network's owner for a renewed one. (${detail})` };
    case 'E_TRANSPORT_UNAVAILABLE':
    case 'E_TRANSPORT_REJECTED':
      return { code, message: `The network's description could not be fetched. Nothing was changed. Check the connection and try again. (${detail})` };
    default:
      return { code, message: `This is not a valid PNode invite. Nothing was changed. (${detail})` };
  }
}
