// Resolves a request path to a file inside the built renderer, and nothing outside it (the Electron
// app protocol and the browser host share this, so neither can be walked out of its root).
import { existsSync, realpathSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface StaticFile {
  readonly path: string;
  readonly contentType: string;
}

export function resolveStatic(root: string, urlPath: string): StaticFile | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : normalize(decoded).replace(/^([/\\])+/, '');
  if (rel.split(/[/\\]/).includes('..')) return null;
  const type = TYPES[extname(rel).toLowerCase()];
  if (!type) return null;
  const full = join(root, rel);
  if (!existsSync(full)) return null;
  const realRoot = realpathSync(root);
  const real = realpathSync(full);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return null;
  if (!statSync(real).isFile()) return null;
  return { path: real, contentType: type };
}
