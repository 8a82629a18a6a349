// `packybridge serve`: load the configuration, register models, listen, watch the file, shut down cleanly.
import type { FastifyInstance } from 'fastify';
import { loadConfig, type LoadOptions } from './config/load.ts';
import { hashPlaintextSecretKey } from './config/store.ts';
import { maskSecret } from './config/mask.ts';
import { buildApp } from './server/app.ts';
import { Runtime } from './runtime.ts';
import { ConfigController } from './config-controller.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { notConfiguredMessage } from './routing/router.ts';
import { claudeCodeEnv, clientUrl, commandLine } from './routing/claude-code-env.ts';
import { startAccounting } from './accounting/start-accounting.ts';

export interface ServeOptions extends LoadOptions {
  host?: string;
  port?: number;
  logger?: Logger;
  /** print the start-up banner to this stream (default stderr) */
  out?: NodeJS.WritableStream;
  watch?: boolean;
}

export interface RunningGateway {
  app: FastifyInstance;
  runtime: Runtime;
  controller: ConfigController;
  url: string;
  close(): Promise<void>;
}

export class StartupError extends Error {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

export async function startGateway(opts: ServeOptions): Promise<RunningGateway> {
  const out = opts.out ?? process.stderr;
  const say = (line: string) => out.write(`${line}\n`);
  if (opts.path && (await hashPlaintextSecretKey(opts.path).catch(() => false))) {
    say(`packybridge: replaced the plaintext remote-management.secret-key in ${opts.path} by its bcrypt hash`);
  }
  const loaded = await loadConfig(opts);
  if (loaded.errors.length > 0 || !loaded.snapshot) {
    throw new StartupError([
      `packybridge cannot start: ${loaded.errors.length} configuration problem(s)` + (opts.path ? ` in ${opts.path}` : ''),
      ...loaded.errors.map((e) => `  - ${e.path}: ${e.message}; ${e.fix}`),
    ]);
  }
  const snapshot = loaded.snapshot;
  const logger = opts.logger ?? createLogger({ level: snapshot.logLevel });
  const runtime = new Runtime(snapshot, logger);
  const controller = new ConfigController(runtime, opts, loaded.fileText);
  // the Redis client (ioredis) is loaded only when state.backend is redis: a single gateway never pays for it
  const shared = runtime.snapshot.state.backend === 'redis'
    ? await (await import('./state/start-shared-state.ts')).startSharedState(runtime)
    : undefined;
  const accounting = startAccounting(runtime, { backend: shared?.usage });
  const app = await buildApp(runtime, { controller });
  const host = opts.host ?? snapshot.host;
  const port = opts.port ?? snapshot.port;
  try {
    await app.listen({ host, port });
  } catch (e) {
    await accounting.close();
    await shared?.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new StartupError([`packybridge cannot start: ${host}:${port} is already in use. Stop the other process, or set port: in config.yaml (or --port).`]);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new StartupError([`packybridge cannot start: host "${host}" is not an address of this machine; set host: in config.yaml (127.0.0.1 for local use).`]);
    throw e;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  for (const w of loaded.warnings) say(`packybridge: warning: ${w.path}: ${w.message}; ${w.fix}`);
  // secrets readable by other users: in the log too, where an operator's monitoring looks
  for (const w of loaded.warnings) if (w.fix.startsWith('chmod ')) logger.warn({ path: w.path, fix: w.fix }, `${w.path} ${w.message}; ${w.fix}`);
  for (const n of loaded.notes) say(`packybridge: ${n}`);
  say(`packybridge: usage accounting: ${shared ? `shared in ${shared.where}` : accounting.where}`);
  if (shared) say(`packybridge: shared state (limits, cooldowns, session affinity, usage): ${shared.where}${shared.redis.up ? '' : ' (unreachable for now: local state until it is back)'}`);
  say(`packybridge ${url}  (effective-source: ${snapshot.effectiveSource})`);
  if (runtime.packycodeUsable()) {
    const p = snapshot.packycode;
    say(`packybridge: Packycode ready: ${p.baseUrl}, key ${maskSecret(p.credentials.openaiApiKey)}, default model ${p.defaults.model} (${p.defaults.modelReasoningEffort} effort), ${runtime.registry.list().length} models registered`);
    const claudeEnv = claudeCodeEnv(snapshot, runtime.registry, clientUrl(host, actualPort));
    const notes = claudeEnv?.notes.map((n) => `  # ${n}`).join('') ?? '';
    say(`packybridge: point Claude Code at it (or eval "$(packybridge claude-env)"): ${claudeEnv ? commandLine(claudeEnv) : `ANTHROPIC_BASE_URL=${url} claude`}${notes}`);
  } else {
    say(notConfiguredMessage(snapshot));
    say('packybridge: see config.example.yaml; requests to /v1/messages answer with this explanation until Packycode is configured.');
  }
  if (snapshot.apiKeys.length === 0 && host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    say(`packybridge: warning: listening on ${host} with no api-keys: anyone who can reach it can use your Packycode key.`);
  }
  runtime.audit.record('startup', { effectiveSource: snapshot.effectiveSource, packycode: runtime.packycodeUsable() ? 'enabled' : 'off', host, port: actualPort });
  if (opts.watch !== false) controller.watch();

  return {
    app, runtime, controller, url,
    async close() {
      controller.close();
      await app.close();
      await accounting.close();
      await shared?.close();
    },
  };
}
