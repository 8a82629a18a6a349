// /v0/management/api-keys: the client keys, live. List (masked), create (the new key is shown once, the file
// keeps only its SHA-256), change models/limits/expiry, revoke. Writes keep config.yaml's comments, are
// validated like a load, then applied at once; audited by name, never by key.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Document } from 'yaml';
import type { Runtime } from '../../runtime.ts';
import type { ConfigController } from '../../config-controller.ts';
import type { ClientKey, ConfigProblem } from '../../config/types.ts';
import { ConfigStore, ConfigValidationError, type ChangeResult } from '../../config/store.ts';
import { FileChangedError } from '../../config/atomic-write.ts';
import { readVersioned } from '../../config/file-version.ts';
import { clientKeySchema } from '../../config/schema.ts';
import { splitUnknownKeys } from '../../config/known-keys.ts';
import { sha256Hex } from '../../config/client-keys.ts';
import { isPlainObject } from '../../config/merge.ts';
import { addClientKey, changeClientKey, ClientKeyEditError, removeClientKey } from '../../config/client-key-edits.ts';

const details = (problems: ConfigProblem[]) => problems.map((p) => ({ path: p.path, message: p.message, fix: p.fix }));

function limitsView(k: ClientKey): Record<string, number> {
  const out: Record<string, number> = {};
  if (k.limits.requestsPerMinute !== undefined) out['requests-per-minute'] = k.limits.requestsPerMinute;
  if (k.limits.tokensPerMinute !== undefined) out['tokens-per-minute'] = k.limits.tokensPerMinute;
  if (k.limits.tokensPerDay !== undefined) out['tokens-per-day'] = k.limits.tokensPerDay;
  return out;
}

async function keyView(runtime: Runtime, k: ClientKey, now: number): Promise<Record<string, unknown>> {
  const used = await runtime.limiter.counts(k.name, now);
  return {
    name: k.name,
    key: k.masked,
    models: k.models ?? null,
    limits: limitsView(k),
    expires: k.expires !== undefined ? new Date(k.expires).toISOString() : null,
    expired: k.expires !== undefined && now > k.expires,
    'in-window': { 'requests-this-minute': used.requests, 'tokens-this-minute': used.tokensMinute, 'tokens-today': used.tokensDay },
  };
}

/** A new client key: 32 random bytes, URL-safe, with a prefix that says what it is. */
export function newClientKey(): string {
  return `pb-${randomBytes(32).toString('base64url')}`;
}

/** Unknown keys in a body, as problems (a typo must not be stored silently). */
function unknownKeys(body: Record<string, unknown>): ConfigProblem[] {
  return splitUnknownKeys(body, clientKeySchema).unknown.map((p) => ({ ...p, message: p.message.replace(/ \(ignored\)$/, '') }));
}

/**
 * Applies a targeted edit (one api-keys entry) over the version of the file read just before, re-reading and
 * re-applying when someone else's save lands meanwhile (the edit touches one entry, so redoing it on the newer
 * file keeps their change). Undefined when the file in force is gone or keeps changing: nothing was written.
 */
async function changeIfUnchanged(store: ConfigStore, edit: (doc: Document) => void, fileInForce: boolean): Promise<ChangeResult | undefined> {
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * attempt));
    const read = await readVersioned(store.path);
    if (read.version === null && fileInForce) continue; // gone for now: an editor may be mid-save
    try {
      return await store.change(edit, true, { expect: read.version });
    } catch (e) {
      if (!(e instanceof FileChangedError)) throw e;
    }
  }
  return undefined;
}

export function clientKeyRoutes(m: FastifyInstance, runtime: Runtime, controller?: ConfigController): void {
  /** Applies `edit` to config.yaml and reloads; answers the error itself and returns false when it failed. */
  const write = async (request: FastifyRequest, reply: FastifyReply, edit: (doc: Document) => void): Promise<boolean> => {
    if (!controller) {
      reply.code(503).send({ error: 'unavailable', message: 'this gateway instance has no configuration controller' });
      return false;
    }
    const opts = controller.loadOptions;
    const path = controller.path ?? resolve(opts.cwd ?? process.cwd(), opts.path ?? 'config.yaml');
    let written: ChangeResult | undefined;
    try {
      written = await changeIfUnchanged(new ConfigStore(path, { env: opts.env }), edit, runtime.snapshot.path !== null);
      if (written === undefined) {
        // the file the configuration came from is gone (an editor's rename-save, a move): writing now would make
        // a file holding api-keys alone, without remote-management or packycode, so nothing is written
        reply.code(409).send({ error: 'config_changed', message: `${path} is gone or kept changing while this write was made; nothing was written and the configuration in force stays. Put the file back (or wait for the editor's save), then send the change again` });
        return false;
      }
    } catch (e) {
      if (e instanceof ClientKeyEditError) reply.code(e.status).send({ error: e.status === 404 ? 'not_found' : 'conflict', message: e.message });
      else if (e instanceof ConfigValidationError) reply.code(422).send({ error: 'invalid_api_key_entry', details: details(e.problems) });
      else reply.code(500).send({ error: 'write_failed', message: `could not write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed: make the file and its folder writable` });
      return false;
    }
    opts.path = path;
    // the text written, not a re-read: an editor's half-written save must not be what gets applied
    const outcome = await controller.reload('management', { ip: request.ip }, written.text ?? undefined);
    if (!outcome.applied) {
      reply.code(422).send({ error: 'invalid_config', details: details(outcome.result.errors) });
      return false;
    }
    return true;
  };

  const find = (name: string) => runtime.snapshot.clientKeys.find((k) => k.name === name);

  m.get('/v0/management/api-keys', async () => {
    const now = Date.now();
    return { keys: await Promise.all(runtime.snapshot.clientKeys.map((k) => keyView(runtime, k, now))) };
  });

  m.post('/v0/management/api-keys', async (request, reply) => {
    const body = request.body;
    if (!isPlainObject(body)) return reply.code(400).send({ error: 'bad_json', message: 'send a JSON object, e.g. {"name": "alice", "limits": {"requests-per-minute": 60}}' });
    const unknown = unknownKeys(body);
    if (unknown.length > 0) return reply.code(422).send({ error: 'invalid_api_key_entry', details: details(unknown) });
    if (typeof body.name !== 'string' || body.name.trim() === '') {
      return reply.code(422).send({ error: 'invalid_api_key_entry', details: [{ path: 'name', message: 'is missing', fix: 'send a short unique name, e.g. {"name": "alice"}' }] });
    }
    // the key is generated here and returned once; the file keeps only its digest
    const given = typeof body.key === 'string' && body.key !== '' ? body.key : undefined;
    const key = given ?? newClientKey();
    const entry = { ...body, key: given ?? `sha256:${sha256Hex(key)}` };
    if (!(await write(request, reply, (doc) => addClientKey(doc, entry)))) return reply;
    const name = body.name.trim();
    runtime.audit.record('client-key-created', { ip: request.ip, name });
    const created = find(name);
    const view = created ? await keyView(runtime, created, Date.now()) : { name };
    return reply.code(201).send({ ...view, key: given ? created?.masked : key, note: given ? 'the key you sent is stored as written' : 'this is the only time the key is shown: the configuration keeps only its SHA-256 digest' });
  });

  m.patch('/v0/management/api-keys/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const body = request.body;
    if (!isPlainObject(body)) return reply.code(400).send({ error: 'bad_json', message: 'send a JSON object, e.g. {"limits": {"requests-per-minute": 30}}' });
    const unknown = unknownKeys(body);
    if (unknown.length > 0) return reply.code(422).send({ error: 'invalid_api_key_entry', details: details(unknown) });
    if ('key' in body || 'name' in body) {
      return reply.code(422).send({ error: 'invalid_api_key_entry', details: [{ path: 'key' in body ? 'key' : 'name', message: 'cannot be changed here', fix: 'create a new key (POST /v0/management/api-keys) and revoke this one' }] });
    }
    if (!(await write(request, reply, (doc) => changeClientKey(doc, name, body)))) return reply;
    runtime.audit.record('client-key-changed', { ip: request.ip, name, keys: Object.keys(body) });
    const changed = find(name);
    return changed ? keyView(runtime, changed, Date.now()) : { name };
  });

  m.delete('/v0/management/api-keys/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!(await write(request, reply, (doc) => removeClientKey(doc, name)))) return reply;
    runtime.audit.record('client-key-revoked', { ip: request.ip, name });
    return { revoked: name };
  });
}
