// GET /panel: the web panel's static files, served by the gateway itself (no separate server). The files hold
// no data: the page logs in with the management key and calls /v0/management/* on the same origin. Open to
// loopback clients unless remote-management.allow-remote, like the management API.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { isLoopback } from '../client-auth.ts';

// src/server/routes -> src/panel; dist/server/routes -> the package's src/panel
const PANEL_DIR = [resolve(import.meta.dirname, '../../panel'), resolve(import.meta.dirname, '../../../src/panel')].find((d) => existsSync(join(d, 'index.html')))!;
// Chart.js's UMD build, straight from node_modules: no bundler, no copy to keep in step
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const FILES: Record<string, { path: string; type: string }> = {
  'index.html': { path: join(PANEL_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  'panel.js': { path: join(PANEL_DIR, 'panel.js'), type: 'text/javascript; charset=utf-8' },
  'panel.css': { path: join(PANEL_DIR, 'panel.css'), type: 'text/css; charset=utf-8' },
  'chart.js': { path: CHART_JS, type: 'text/javascript; charset=utf-8' },
};

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export function panelRoutes(app: FastifyInstance, runtime: Runtime): void {
  const cache = new Map<string, Buffer>();
  const send = async (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const allowRemote = runtime.snapshot.remoteManagement.allowRemote;
    if (!allowRemote && !(isLoopback(request.ip) && isLoopback(request.socket?.remoteAddress ?? request.ip))) {
      return reply.code(403).send({ error: 'forbidden', message: 'the panel is open to loopback clients only: set remote-management.allow-remote: true to allow other addresses' });
    }
    const f = FILES[name];
    if (!f) return reply.code(404).send({ error: 'not_found', message: `no panel file ${name}` });
    let body = cache.get(name);
    if (!body) { body = await readFile(f.path); cache.set(name, body); }
    return reply
      .header('content-type', f.type)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(body);
  };
  app.get('/panel', (request, reply) => send(request, reply, 'index.html'));
  app.get('/panel/:file', (request, reply) => send(request, reply, (request.params as { file: string }).file));
}
