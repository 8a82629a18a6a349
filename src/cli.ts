// Command line: serve (default), check, import-codex.
import { Command, InvalidArgumentError } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveConfigPath } from './config/load.ts';
import { checkConfig } from './config/check.ts';
import { importCodex } from './config/import-codex.ts';
import { startGateway, StartupError } from './serve.ts';
import { VERSION } from './runtime.ts';
import { probeUpstream } from './probe.ts';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
}

function codexHomeFrom(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit ?? env.CODEX_HOME ?? join(homedir(), '.codex');
}

export async function main(argv: string[]): Promise<void> {
  const env = process.env;
  const program = new Command();
  program.name('packybridge').description('Anthropic Messages API gateway for Packycode (OpenAI Responses API): run Claude Code on GPT-5 and Codex models').version(VERSION);

  program.command('serve', { isDefault: true })
    .description('run the gateway')
    .option('-c, --config <file>', 'config.yaml to use (default: $PACKYBRIDGE_CONFIG or ./config.yaml)')
    .option('--packycode', 'turn Packycode on for this run; refuse to start unless its configuration is valid')
    .option('--host <host>', 'listen address (overrides host:)')
    .option('-p, --port <port>', 'listen port (overrides port:)', parsePort)
    .option('--codex-home <dir>', 'Codex CLI folder to read (default: $CODEX_HOME or ~/.codex)')
    .action(async (o: { config?: string; packycode?: boolean; host?: string; port?: number; codexHome?: string }) => {
      const path = resolveConfigPath(o.config, env, process.cwd());
      try {
        const gw = await startGateway({ path, env, codexHome: codexHomeFrom(o.codexHome, env), forcePackycode: !!o.packycode, host: o.host, port: o.port });
        const stop = async (signal: string) => {
          process.stderr.write(`packybridge: ${signal}, closing (streams in flight finish first)\n`);
          const force = setTimeout(() => process.exit(0), 10_000);
          force.unref();
          await gw.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
      } catch (e) {
        if (e instanceof StartupError) { process.stderr.write(`${e.message}\n`); process.exit(1); }
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
      for (const line of r.lines) process.stdout.write(`${line}\n`);
      let ok = r.ok;
      if (o.probe) {
        const p = await probeUpstream(opts);
        for (const line of p.lines) process.stdout.write(`${line}\n`);
        ok = ok && p.ok;
      }
      process.exitCode = ok ? 0 : 1;
    });

  program.command('import-codex')
    .description("write the Codex CLI's Packycode setup into config.yaml as a packycode: block (comments kept)")
    .option('--codex-home <dir>', 'Codex CLI folder (default: $CODEX_HOME or ~/.codex)')
    .option('-c, --config <file>', 'config.yaml to write (default: ./config.yaml)')
    .action(async (o: { codexHome?: string; config?: string }) => {
      const configPath = resolveConfigPath(o.config, env, process.cwd()) ?? join(process.cwd(), 'config.yaml');
      try {
        const r = await importCodex({ codexHome: codexHomeFrom(o.codexHome, env), configPath, env });
        process.stdout.write(`${r.created ? 'created' : 'updated'} the packycode block in ${configPath}:\n`);
        for (const m of r.mapping) process.stdout.write(`  ${m.from} -> packycode.${m.to} = ${m.value}\n`);
      } catch (e) {
        process.stderr.write(`packybridge import-codex: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  await program.parseAsync(argv);
}
