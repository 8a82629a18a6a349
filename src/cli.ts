// Command line: serve (default), check, import-codex, claude-env. The gateway itself (fastify, tokenizer, upstream
// client) is loaded only by the commands that need it, so `check` and `import-codex` start fast.
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfigPath } from './config/load.ts';
import { checkConfig } from './config/check.ts';
import { importCodex } from './config/import-codex.ts';

/** package.json's version (src/ and dist/ both sit one folder below it). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
}

function codexHomeFrom(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  const dir = explicit ?? env.CODEX_HOME;
  return dir ? resolve(process.cwd(), dir) : join(env.HOME || homedir(), '.codex');
}

const print = (line: string) => process.stdout.write(`${line}\n`);

export async function main(argv: string[]): Promise<void> {
  const env = process.env;
  const program = new Command();
  program.name('packybridge').description('Anthropic Messages API gateway for Packycode (OpenAI Responses API): run Claude Code on GPT-5 and Codex models').version(packageVersion());

  program.command('serve', { isDefault: true })
    .description('run the gateway')
    .option('-c, --config <file>', 'config.yaml to use (default: $PACKYBRIDGE_CONFIG or ./config.yaml)')
    .option('--packycode', 'turn Packycode on for this run; refuse to start unless its configuration is valid')
    .option('--host <host>', 'listen address (overrides host:)')
    .option('-p, --port <port>', 'listen port (overrides port:)', parsePort)
    .option('--codex-home <dir>', 'Codex CLI folder to read (default: $CODEX_HOME or ~/.codex)')
    .action(async (o: { config?: string; packycode?: boolean; host?: string; port?: number; codexHome?: string }) => {
      const { startGateway, StartupError } = await import('./serve.ts');
      const path = resolveConfigPath(o.config, env, process.cwd());
      try {
        const gw = await startGateway({ path, env, codexHome: codexHomeFrom(o.codexHome, env), forcePackycode: !!o.packycode, host: o.host, port: o.port });
        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          // stop accepting at once; streams in flight finish within the grace period, then the rest is cut
          const graceMs = gw.runtime.snapshot.shutdownGraceMs ?? 10_000;
          process.stderr.write(`packybridge: ${signal}, closing (streams in flight finish first, up to ${graceMs} ms)\n`);
          const force = setTimeout(() => {
            process.stderr.write('packybridge: grace period over, closing the streams still open\n');
            process.exit(0);
          }, graceMs);
          force.unref();
          await gw.close();
          process.stderr.write('packybridge: closed\n');
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
        // SIGHUP: read config.yaml again now (a shared file whose change events do not arrive, e.g. over NFS)
        process.on('SIGHUP', () => void gw.controller.reload('file', { signal: 'SIGHUP' }));
      } catch (e) {
        if (e instanceof StartupError) {
          process.stderr.write(`${e.message}\n`);
          process.exit(1);
        }
        throw e;
      }
    });

  program.command('check')
    .description('validate the configuration from every source, print the effective one and each problem with its fix')
    .option('-c, --config <file>', 'config.yaml to check')
    .option('--codex-home <dir>', 'Codex CLI folder to read')
    .option('--packycode', 'require a valid Packycode configuration')
    .option('--probe', 'also send one tiny request upstream: reachability, auth, latency')
    .action(async (o: { config?: string; codexHome?: string; packycode?: boolean; probe?: boolean }) => {
      const opts = { path: resolveConfigPath(o.config, env, process.cwd()), env, codexHome: codexHomeFrom(o.codexHome, env), forcePackycode: !!o.packycode };
      const r = await checkConfig(opts);
      r.lines.forEach(print);
      let ok = r.ok;
      if (o.probe) {
        const { probeUpstream } = await import('./probe.ts');
        const p = await probeUpstream(opts);
        print('');
        p.lines.forEach(print);
        ok = ok && p.ok;
      }
      process.exitCode = ok ? 0 : 1;
    });

  program.command('claude-env')
    .description('print the export lines that point Claude Code at this gateway with the real context window: eval "$(packybridge claude-env)"')
    .option('-c, --config <file>', 'config.yaml to read (default: $PACKYBRIDGE_CONFIG or ./config.yaml)')
    .option('--codex-home <dir>', 'Codex CLI folder to read')
    .option('--host <host>', 'the gateway\'s listen address (overrides host:)')
    .option('-p, --port <port>', 'the gateway\'s listen port (overrides port:)', parsePort)
    .action(async (o: { config?: string; codexHome?: string; host?: string; port?: number }) => {
      const { printClaudeEnv } = await import('./claude-env-command.ts');
      const r = await printClaudeEnv({ path: resolveConfigPath(o.config, env, process.cwd()), env, codexHome: codexHomeFrom(o.codexHome, env), host: o.host, port: o.port });
      r.lines.forEach(print);
      for (const e of r.errors) process.stderr.write(`packybridge claude-env: ${e}\n`);
      process.exitCode = r.errors.length ? 1 : 0;
    });

  program.command('import-codex')
    .description("write the Codex CLI's Packycode setup into config.yaml as a packycode: block (comments kept)")
    .option('--codex-home <dir>', 'Codex CLI folder (default: $CODEX_HOME or ~/.codex)')
    .option('-c, --config <file>', 'config.yaml to write (default: ./config.yaml)')
    .action(async (o: { codexHome?: string; config?: string }) => {
      const configPath = resolveConfigPath(o.config, env, process.cwd()) ?? join(process.cwd(), 'config.yaml');
      try {
        const r = await importCodex({ codexHome: codexHomeFrom(o.codexHome, env), configPath, env });
        print(`${r.created ? 'created' : 'updated'} the packycode block in ${configPath}:`);
        for (const m of r.mapping) print(`  ${m.from} -> packycode.${m.to} = ${m.value}`);
        print('run `packybridge check` to see the result, then `packybridge serve`');
      } catch (e) {
        process.stderr.write(`packybridge import-codex: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  await program.parseAsync(argv);
}

/** True when this file is the program Node was started with (`node src/cli.ts`), not an import. */
function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(resolve(arg)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv).catch((e: unknown) => {
    process.stderr.write(`packybridge: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
