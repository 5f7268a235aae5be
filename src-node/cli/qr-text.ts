// The QR code of an invite for a terminal (`pnode network invite`): phones scan it to copy the link.
// Two modules per character cell (half blocks), light modules drawn, with a quiet zone, so it reads
// on the usual dark terminal; `qrcode` (a well-kept library) makes the matrix.
import QRCode from 'qrcode';

/** Byte-mode capacity of the largest QR code at error correction level L. */
export const INVITE_QR_MAX_CHARS = 2_953;
/** Modules of light margin around the code (the standard asks for 4; 2 reads well on screens). */
export const QR_QUIET_ZONE = 2;

export async function inviteQrText(text: string): Promise<string> {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const size = qr.modules.size;
  const dark = (row: number, col: number): boolean => row >= 0 && col >= 0 && row < size && col < size && qr.modules.get(row, col) === 1;
  const lines: string[] = [];
  for (let row = -QR_QUIET_ZONE; row < size + QR_QUIET_ZONE; row += 2) {
    let line = '';
    for (let col = -QR_QUIET_ZONE; col < size + QR_QUIET_ZONE; col++) {
      const top = !dark(row, col);
      const bottom = !dark(row + 1, col) && row + 1 < size + QR_QUIET_ZONE;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
