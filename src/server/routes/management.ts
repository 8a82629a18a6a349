// /v0/management: see and change the Packycode setup live. Writes go to config.yaml (comments kept,
// atomic), then apply at once; invalid input changes nothing.
import type { FastifyInstance, FastifyError, FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { VERSION } from '../../runtime.ts';
import type { ConfigController } from '../../config-controller.ts';
import { ManagementGuard } from '../management-auth.ts';
import { packycodeToYamlShape, validatePackycodeBlock, maskSecret } from '../../config/load.ts';
import { ConfigStore } from '../../config/store.ts';
import { deepMerge, isPlainObject } from '../../config/merge.ts';
import { join } from 'node:path';

const READ_ONLY = 'effective-source';

export function managementRoutes(app: FastifyInstance, runtime: Runtime, controller?: ConfigController): void {
  const guard = new ManagementGuard(runtime);

  app.register(async (m) => {
    m.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.statusCode === 400 || error instanceof SyntaxError) {
        return reply.code(400).send({ error: 'bad_json', message: `the body is not valid JSON: ${error.message}` });
      }
      if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: 'bad_request', message: error.message });
      runtime.logger.error({ err: { message: error.message } }, 'management error');
      return reply.code(500).send({ error: 'internal', message: error.message });
    });
    m.addHook('onRequest', async (request, reply) => {
      if (!(await guard.check(request, reply))) return reply;
    });

    const current = (reveal: boolean) => ({
      ...packycodeToYamlShape(runtime.snapshot.packycode, { reveal }),
      [READ_ONLY]: runtime.snapshot.effectiveSource,
    });

    m.get('/v0/management/packycode', async (request) => {
      const reveal = (request.query as { reveal?: string }).reveal === 'true';
      return current(reveal);
    });

    const write = (mode: 'replace' | 'merge') => async (request: FastifyRequest, reply: any) => {
      if (!controller) return reply.code(503).send({ error: 'unavailable', message: 'this gateway instance has no configuration controller' });
      let body = request.body as unknown;
      if (isPlainObject(body) && Object.keys(body).length === 1 && isPlainObject(body.packycode)) body = body.packycode;
      if (!isPlainObject(body)) {
        return reply.code(422).send({ error: 'invalid_packycode', details: [{ path: '', message: 'the body must be a JSON object (the packycode block, bare or as {"packycode": {...}})', fix: 'send e.g. {"enabled": true}' }] });
      }
      if (READ_ONLY in body) {
        return reply.code(422).send({ error: 'invalid_packycode', details: [{ path: READ_ONLY, message: 'effective-source is read-only: it says which source is in force', fix: 'remove effective-source from the body; writing any packycode key makes config.yaml the source' }] });
      }
      const snapshot = runtime.snapshot;
      const fromFile = snapshot.effectiveSource === 'config.yaml';
      // the block as it would be after this write, validated before anything is written
      const inForce = packycodeToYamlShape(snapshot.packycode, { reveal: true });
      const next = mode === 'replace' ? body : deepMerge(inForce, body);
      const { problems } = validatePackycodeBlock(next, controller.loadOptions.env ?? process.env);
      if (problems.length > 0) {
        return reply.code(422).send({ error: 'invalid_packycode', details: problems.map((p) => ({ path: p.path, message: p.message, fix: p.fix })) });
      }
      const path = snapshot.path ?? controller.loadOptions.path ?? join(process.cwd(), 'config.yaml');
      const store = new ConfigStore(path);
      // outside config.yaml, the whole block in force is written so nothing configured elsewhere is lost
      const { created } = await store.setPackycode(fromFile ? body : next, fromFile ? mode : 'replace');
      if (!controller.loadOptions.path) (controller.loadOptions as { path?: string | null }).path = path;
      const outcome = await controller.reload('management');
      if (!outcome.applied) {
        return reply.code(422).send({ error: 'invalid_packycode', details: outcome.result.errors.map((p) => ({ path: p.path, message: p.message, fix: p.fix })) });
      }
      controller.watch();
      const result: Record<string, unknown> = current(false);
      if (!fromFile) result.note = `the packycode block was ${created ? 'created' : 'written'} in ${path}; config.yaml is now the effective source (it was ${snapshot.effectiveSource})`;
      return result;
    };
    m.put('/v0/management/packycode', write('replace'));
    m.patch('/v0/management/packycode', write('merge'));

    m.get('/v0/management/config', async () => {
      const s = runtime.snapshot;
      return {
        path: s.path,
        host: s.host,
        port: s.port,
        'api-keys': s.apiKeys.map(maskSecret),
        'log-level': s.logLevel,
        'remote-management': { 'secret-key': s.remoteManagement.secretKey ? '[bcrypt hash]' : '', 'allow-remote': s.remoteManagement.allowRemote },
        timeouts: { 'connect-ms': s.timeouts.connectMs, 'first-byte-ms': s.timeouts.firstByteMs, 'idle-ms': s.timeouts.idleMs },
        fallbacks: s.fallbacks.map((f) => ({ name: f.name, 'base-url': f.baseUrl, 'api-key': maskSecret(f.apiKey), models: f.models })),
        packycode: packycodeToYamlShape(s.packycode, { reveal: false }),
        'effective-source': s.effectiveSource,
      };
    });

    m.get('/v0/management/status', async () => {
      const s = runtime.snapshot;
      return {
        version: VERSION,
        'uptime-seconds': Math.round((Date.now() - runtime.startedAt) / 1000),
        'effective-source': s.effectiveSource,
        'config-path': s.path,
        'config-loaded-at': new Date(s.loadedAt).toISOString(),
        providers: runtime.packycodeUsable() ? [{ provider: 'codex', name: 'packycode', 'base-url': s.packycode.baseUrl, 'client-id': runtime.registry.clients()[0] }] : [],
        'packycode-problems': s.packycodeProblems,
        models: runtime.registry.list().map((m) => m.id),
        counters: { requests: runtime.counters.requests, 'upstream-errors': runtime.counters.upstreamErrors, failovers: runtime.counters.failovers },
      };
    });

    m.get('/v0/management/audit', async (request) => {
      const limit = Number((request.query as { limit?: string }).limit ?? 100);
      return { events: runtime.audit.recent(Number.isFinite(limit) && limit > 0 ? Math.min(limit, 500) : 100) };
    });
  });
}
