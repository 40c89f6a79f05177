import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response, Server } from 'restify';
import { fail } from '../http/http-common.js';

/**
 * The compliance console's files, and nothing else: a fixed list read once at start, so no path a
 * client sends ever reaches the file system.
 */
const ASSETS = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
} as const;
type AssetName = keyof typeof ASSETS;

/**
 * The page runs only our own files and talks only to this server: no inline script, so injected
 * markup cannot run; no framing, so it cannot be clickjacked.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * console/ at the project root, from bot/compliance/ under tsx and from dist/bot/compliance/ after
 * `npm run build`
 * (tsc copies no static files, so dist/ has none of its own).
 */
export function consoleFolder(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, '..', '..', 'console'), join(here, '..', '..', '..', 'console')];
  const found = candidates.find((folder) => existsSync(join(folder, 'index.html')));
  if (!found) throw new Error(`console files not found in ${candidates.join(' or ')}`);
  return found;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function loadAssets(folder: string): ReadonlyMap<string, Asset> {
  return new Map(
    (Object.keys(ASSETS) as AssetName[]).map((name) => {
      const body = readFileSync(join(folder, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      return [name, { body, type: ASSETS[name], etag }];
    }),
  );
}

/**
 * GET /console and its assets. No authentication here: the files hold no data; the page asks for
 * a token and sends it with every API call.
 */
export function registerConsoleRoutes(server: Server, folder = consoleFolder()): void {
  const assets = loadAssets(folder);

  const send = (req: Request, res: Response, name: string): void => {
    // setHeader replaces: restify's res.set would append to the nosniff the server already set.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const asset = assets.get(name);
    if (!asset) {
      fail(res, 404, 'NOT_FOUND', 'no such console file');
      return;
    }
    // Revalidate every time: a deployed fix must reach the officer's browser at once.
    res.set({ 'Cache-Control': 'no-cache', ETag: asset.etag });
    if (req.header('if-none-match') === asset.etag) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length });
    res.end(asset.body);
  };

  // eslint-disable-next-line @typescript-eslint/require-await -- restify wants an AsyncFunction
  const page = async (req: Request, res: Response) => {
    send(req, res, 'index.html');
  };
  server.get('/console', page);
  server.get('/console/', page);
  // eslint-disable-next-line @typescript-eslint/require-await -- restify wants an AsyncFunction
  server.get('/console/:file', async (req: Request, res: Response) => {
    const { file } = req.params as { file?: unknown };
    send(req, res, typeof file === 'string' ? file : '');
  });
}
