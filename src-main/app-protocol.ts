// The renderer is served from a custom scheme, `app://pnode/`, rather than file://: one origin of
// our own, absolute asset paths resolve, and every response carries our CSP. This module decides,
// from a request alone, which file under the renderer root answers it. No I/O here.
import { extname, posix, sep, resolve } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'pnode';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
/** Longest request URL we bother to parse. */
export const MAX_APP_URL_LENGTH = 2_048;

/**
 * Privileges for `protocol.registerSchemesAsPrivileged` (before `ready`): a standard, secure
 * scheme so the page is a secure context with a real origin; fetch and CORS so Vite's
 * `<script type="module" crossorigin>` loads. No CSP bypass, no service workers.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: true,
  bypassCSP: false,
  allowServiceWorkers: false,
  stream: false,
  codeCache: true,
} as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** True for a URL of our own app origin (scheme and host both ours). */
export function isAppUrl(url: string): boolean {
  if (typeof url !== 'string' || url.length > MAX_APP_URL_LENGTH) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

export type AppAsset =
  | { readonly ok: true; readonly relativePath: string; readonly contentType: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404 | 405 };

/**
 * Which file answers `method url`: a path relative to the renderer root, in POSIX form. Paths
 * without an extension fall back to index.html (client-side routes); `..`, backslashes, NUL and
 * encoded separators never escape the root.
 */
export function resolveAppRequest(method: string, url: string): AppAsset {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405 };
  if (!isAppUrl(url)) return { ok: false, status: 403 };
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return { ok: false, status: 400 };
  const segments = pathname.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) return { ok: false, status: 403 };
  // Hidden files (.env, .git) are never part of a build.
  if (segments.some((segment) => segment.startsWith('.'))) return { ok: false, status: 404 };
  let relativePath = segments.join('/');
  if (relativePath === '' || extname(relativePath) === '') relativePath = 'index.html';
  const contentType = CONTENT_TYPES[posix.extname(relativePath).toLowerCase()] ?? 'application/octet-stream';
  return { ok: true, relativePath, contentType };
}

/** The absolute file for a resolved asset, or null should it land outside the root anyway. */
export function assetFile(root: string, relativePath: string): string | null {
  const base = resolve(root);
  const file = resolve(base, ...relativePath.split('/'));
  return file.startsWith(base.endsWith(sep) ? base : base + sep) ? file : null;
}
