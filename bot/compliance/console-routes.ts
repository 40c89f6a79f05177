import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'restify';
import { z } from 'zod';
import { fail } from '../http/http-common.js';
import { error, route, type Route } from '../http/route.js';

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
 * a token and sends it with every API call. The console's security headers (a strict CSP, no
 * framing) are the `console` set of bot/http/security-headers.ts.
 */
export function consoleRoutes(folder = consoleFolder()): Route[] {
  const assets = loadAssets(folder);

  // eslint-disable-next-line @typescript-eslint/require-await -- a handler returns a promise
  const send = async (req: Request, res: Response, name: string): Promise<undefined> => {
    const asset = assets.get(name);
    if (!asset) {
      fail(res, 404, 'NOT_FOUND', 'no such console file');
      return undefined;
    }
    // Revalidate every time: a deployed fix must reach the officer's browser at once.
    res.set({ 'Cache-Control': 'no-cache', ETag: asset.etag });
    if (req.header('if-none-match') === asset.etag) {
      res.writeHead(304);
      res.end();
      return undefined;
    }
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length });
    res.end(asset.body);
    return undefined;
  };

  const page = (path: string, summary: string): Route =>
    route({
      method: 'GET',
      path,
      summary,
      headers: 'console',
      responses: { 200: { description: 'The page', mediaType: 'text/html' } },
      handle: (_input, { req, res }) => send(req, res, 'index.html'),
    });

  return [
    page('/console', 'The compliance console (sign in there with a compliance token)'),
    page('/console/', 'The same page'),
    route({
      method: 'GET',
      path: '/console/:file',
      summary: "The console's own script and style sheet (a fixed list)",
      headers: 'console',
      // Any name reaches the handler, which answers 404 for one not on the list.
      params: z.object({
        file: z.string().meta({ description: Object.keys(ASSETS).join(', ') }),
      }),
      responses: {
        200: { description: 'The file', mediaType: 'text/plain' },
        404: error('Not a file of the console'),
      },
      handle: ({ params }, { req, res }) => send(req, res, params.file),
    }),
  ];
}
