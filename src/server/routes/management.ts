// /v0/management: see and change the Packycode setup live. Writes go to config.yaml (comments kept,
// atomic), then apply at once; invalid input changes nothing. Keys are masked unless ?reveal=true.
import type { FastifyInstance, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { configuredKeys } from '../../routing/candidates.ts';
import type { Runtime } from '../../runtime.ts';
import { VERSION } from '../../runtime.ts';
import { READ_ONLY_KEY, type ConfigController } from '../../config-controller.ts';
import type { ConfigProblem, ConfigSnapshot } from '../../config/types.ts';
import { managementGuard } from '../management-auth.ts';
import { packycodeToYamlShape, snapshotToYamlShape } from '../../config/load.ts';

const MAX_AUDIT = 500;

function packycodeView(s: ConfigSnapshot, reveal: boolean): Record<string, unknown> {
  return { ...packycodeToYamlShape(s.packycode, { reveal }), [READ_ONLY_KEY]: s.effectiveSource };
}

const details = (problems: ConfigProblem[]) => problems.map((p) => ({ path: p.path, message: p.message, fix: p.fix }));

function badJson(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: 'bad_json', message, fix: 'send the packycode block as a JSON object, e.g. {"enabled": false}' });
}

export function managementRoutes(app: FastifyInstance, runtime: Runtime, controller?: ConfigController): void {
  const guard = managementGuard(runtime);

  app.register(async (m) => {
    // Any content type is read as JSON (curl -d sends form encoding by default).
    m.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (e) {
        const err = e as FastifyError;
        err.statusCode = 400;
        done(err, undefined);
      }
    });
    m.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return badJson(reply, 'the body is empty');
      if (error.statusCode === 400 || error instanceof SyntaxError) {
        // the only 400s here come from reading the body
        return badJson(reply, /not valid JSON|forbidden key/.test(error.message) ? error.message : `the body is not valid JSON: ${error.message}`);
      }
      if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: 'bad_request', message: error.message });
      runtime.logger.error({ err: { message: error.message, code: error.code } }, 'management error');
      return reply.code(500).send({ error: 'internal', message: error.message });
    });
    m.addHook('onRequest', async (request, reply) => {
      if (!(await guard.check(request, reply))) return reply;
    });

    m.get('/v0/management/packycode', async (request) => {
      const reveal = (request.query as { reveal?: string }).reveal === 'true';
      if (reveal) runtime.audit.record('key-revealed', { ip: request.ip, setting: 'packycode.credentials.openai-api-key' });
      return packycodeView(runtime.snapshot, reveal);
    });

    const write = (mode: 'replace' | 'merge') => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!controller) return reply.code(503).send({ error: 'unavailable', message: 'this gateway instance has no configuration controller' });
      if (request.body === undefined) return badJson(reply, 'the body is empty');
      const r = await controller.writePackycode(request.body, mode, { ip: request.ip });
      if (!r.ok && r.kind === 'invalid') return reply.code(422).send({ error: 'invalid_packycode', details: details(r.problems) });
      if (!r.ok) {
        runtime.logger.error({ path: controller.path }, `management write failed: ${r.message}`);
        return reply.code(500).send({ error: 'write_failed', message: r.message });
      }
      const answer = packycodeView(r.snapshot, false);
      if (r.previousSource !== 'config.yaml') {
        answer.note = `the packycode block was ${r.created ? 'created' : 'written'} in ${r.path}: config.yaml is the effective source from now on (it was ${r.previousSource})`;
      }
      return answer;
    };
    m.put('/v0/management/packycode', write('replace'));
    m.patch('/v0/management/packycode', write('merge'));

    m.get('/v0/management/config', async () => {
      const s = runtime.snapshot;
      return { path: s.path, ...snapshotToYamlShape(s), [READ_ONLY_KEY]: s.effectiveSource };
    });

    m.get('/v0/management/status', async () => {
      const s = runtime.snapshot;
      const usable = runtime.packycodeUsable();
      return {
        version: VERSION,
        'uptime-seconds': Math.round((Date.now() - runtime.startedAt) / 1000),
        'effective-source': s.effectiveSource,
        'config-path': s.path,
        'config-loaded-at': new Date(s.loadedAt).toISOString(),
        providers: usable ? [{ provider: 'codex', name: 'packycode', 'base-url': s.packycode.baseUrl, 'client-id': runtime.registry.clients()[0] }] : [],
        'packycode-problems': details(s.packycodeProblems),
        models: runtime.registry.list().map((x) => x.id),
        counters: { requests: runtime.counters.requests, 'upstream-errors': runtime.counters.upstreamErrors, failovers: runtime.counters.failovers },
        upstreams: upstreamStatus(runtime),
      };
    });

    m.get('/v0/management/audit', async (request, reply) => {
      const raw = (request.query as { limit?: string }).limit;
      const limit = raw === undefined ? 100 : Number(raw);
      if (!Number.isInteger(limit) || limit < 1) {
        return reply.code(400).send({ error: 'bad_request', message: `limit=${raw} is not a positive whole number`, fix: `write e.g. ?limit=50 (at most ${MAX_AUDIT})` });
      }
      return { events: runtime.audit.recent(Math.min(limit, MAX_AUDIT)) };
    });
  });
}

/** Each configured upstream key, masked, with its state, cooldown end and last error. */
function upstreamStatus(runtime: Runtime): Array<Record<string, unknown>> {
  const health = runtime.credentialHealth.view();
  const now = Date.now();
  return configuredKeys(runtime.snapshot).map((k) => {
    const h = health.get(k.keyId);
    const keyRest = runtime.routingState.cooldownUntil(k.keyId);
    const until = Math.max(keyRest, h?.cooldownUntil ? Date.parse(h.cooldownUntil) : 0);
    const state = until > now ? (h && h.state !== 'ok' ? h.state : 'cooling-down') : 'ok';
    return {
      provider: k.provider, protocol: k.protocol, 'base-url': k.baseUrl, key: k.key, 'config-path': k.path, state,
      ...(until > now ? { 'cooldown-until': new Date(until).toISOString() } : {}),
      ...(h?.lastError ? { 'last-error': h.lastError } : {}),
      ...(h?.lastSuccessAt ? { 'last-success-at': h.lastSuccessAt } : {}),
    };
  });
}

