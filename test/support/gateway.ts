// Starts a real packybridge on 127.0.0.1 (ephemeral port) with a config.yaml in a temporary folder.
import { chmodSync, mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { startGateway, type RunningGateway } from '../../src/serve.ts';

export interface TestGateway extends RunningGateway {
  dir: string;
  configPath: string;
  logLines: string[];
  banner: string[];
  stop(): Promise<void>;
}

/**
 * Collects log lines in memory (tests assert on what is, and is not, logged), written by the production logger
 * (its masking and capping included) at debug level.
 */
export function memoryLogger(lines: string[]) {
  const dest = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(l); cb(); } });
  return createLogger({ level: 'debug', destination: dest });
}

export async function startTestGateway(yaml: string, opts: { env?: NodeJS.ProcessEnv; watch?: boolean; forcePackycode?: boolean; mode?: number } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'packybridge-test-'));
  const codexHome = join(dir, 'codex-home');
  mkdirSync(codexHome);
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, yaml);
  if (opts.mode !== undefined) chmodSync(configPath, opts.mode);
  const logLines: string[] = [];
  const banner: string[] = [];
  const out = new Writable({ write(chunk, _enc, cb) { banner.push(String(chunk)); cb(); } });
  const gw = await startGateway({
    path: configPath,
    env: opts.env ?? {},
    codexHome,
    homeDir: dir,
    forcePackycode: opts.forcePackycode,
    host: '127.0.0.1',
    port: 0,
    logger: memoryLogger(logLines),
    out,
    watch: opts.watch ?? false,
  });
  return {
    ...gw,
    dir,
    configPath,
    logLines,
    banner,
    async stop() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A config.yaml that sends Packycode traffic to the given mock upstream. */
export function packycodeYaml(baseUrl: string, extra = ''): string {
  return [
    '# test configuration',
    'api-keys:',
    '  - test-client-key',
    'packycode:',
    '  enabled: true',
    `  base-url: ${baseUrl}`,
    '  credentials:',
    '    openai-api-key: sk-test-upstream-key-1234',
    '  defaults:',
    '    model: gpt-5-codex',
    '    model-reasoning-effort: medium',
    extra,
  ].join('\n');
}
