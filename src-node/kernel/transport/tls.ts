// TLS material: the listener's certificate and key, and the trust roots a dialer accepts
// (the system's plus --trust-ca files for private deployments; DESIGN.md §5).
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

export interface ServerTls {
  readonly cert: string;
  readonly key: string;
}

export interface ClientTrust {
  /** undefined: the system roots only. */
  readonly ca?: readonly string[];
}

export function loadServerTls(certFile: string, keyFile: string): ServerTls {
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** System roots plus the given PEM files (each may hold several certificates). */
export function trustWithExtraCas(caFiles: readonly string[]): ClientTrust {
  if (caFiles.length === 0) return {};
  return { ca: [...rootCertificates, ...caFiles.map((file) => readFileSync(file, 'utf8'))] };
}
