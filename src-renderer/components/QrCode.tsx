import { useMemo } from 'react';
import QRCode from 'qrcode';

/** Modules of light margin around the code. */
const QUIET_ZONE = 2;

/** A QR code of `text` as SVG (dark modules on light, whatever the theme), for phones to copy it. */
export function QrCode({ text, label, size = 220 }: { text: string; label: string; size?: number }) {
  const drawing = useMemo(() => {
    try {
      const qr = QRCode.create(text, { errorCorrectionLevel: 'L' });
      const n = qr.modules.size;
      let path = '';
      for (let row = 0; row < n; row++) {
        for (let col = 0; col < n; col++) if (qr.modules.get(row, col)) path += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
      }
      return { path, extent: n + 2 * QUIET_ZONE };
    } catch {
      return null; // too long for a QR code
    }
  }, [text]);
  if (drawing === null) return <p className="muted">This invite is too long for a QR code; share the link.</p>;
  return (
    <svg className="qr" role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${drawing.extent} ${drawing.extent}`} shapeRendering="crispEdges">
      <rect width={drawing.extent} height={drawing.extent} fill="#ffffff" />
      <path d={drawing.path} fill="#000000" />
    </svg>
  );
}
