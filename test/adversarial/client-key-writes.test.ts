// Adversarial: the api-keys management writes (create, change, revoke) while config.yaml is briefly missing must
// fail closed like the packycode block's: never a new file holding api-keys alone (which would drop
// remote-management and packycode), a 409 instead, and the configuration in force kept.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import bcrypt from 'bcryptjs';
import { packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';

const SECRET = 'adversarial-mgmt-secret-0002';
const AUTH = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };
const management = `remote-management:\n  secret-key: "${bcrypt.hashSync(SECRET, 4)}"\n`;

let mock: MockUpstream;
let gw: TestGateway;
before(async () => {
  mock = await startMockUpstream();
  gw = await startTestGateway(packycodeYaml(mock.url, management), { watch: true });
});
after(async () => { await gw.stop(); await mock.close(); });

async function createKey(name: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/v0/management/api-keys`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name }) });
  return { status: res.status, body: await res.json() };
}

describe('api-keys writes while config.yaml is missing', () => {
  test('create after mv config.yaml away: 409, no file created, management and packycode stay', async () => {
    const away = join(gw.dir, 'moved-away.yaml');
    renameSync(gw.configPath, away);
    try {
      const r = await createKey('carol');
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.error, 'config_changed');
      assert.match(r.body.message, /nothing was written/);
      assert.equal(existsSync(gw.configPath), false, 'no api-keys-only file was created');
      assert.notEqual(gw.runtime.snapshot.remoteManagement.secretKey, '');
      assert.equal(gw.runtime.snapshot.packycode.baseUrl, mock.url);
      const status = await fetch(`${gw.url}/v0/management/status`, { headers: AUTH });
      assert.equal(status.status, 200, 'management still answers');
    } finally {
      renameSync(away, gw.configPath);
    }
    // with the file back the same write goes through and keeps everything else in the file
    const r = await createKey('carol');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const doc = parse(readFileSync(gw.configPath, 'utf8'));
    assert.ok(doc['remote-management']['secret-key']);
    assert.equal(doc.packycode['base-url'], mock.url);
    assert.ok(doc['api-keys'].some((e: unknown) => typeof e === 'object' && (e as { name?: string }).name === 'carol'));
    assert.ok(doc['api-keys'].includes('test-client-key'), 'the existing key is kept');
  });
});
