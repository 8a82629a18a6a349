// The Host and Origin rules, table-driven (the HTTP behaviour is in test/adversarial/host-and-cors.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostAllowed, hostName, isLoopbackAddress } from '../../src/server/host-check.ts';
import { crossOriginProblem, sameOrigin } from '../../src/server/cors.ts';

describe('hostName', () => {
  const cases: Array<[string, string]> = [
    ['localhost:8317', 'localhost'], ['LocalHost', 'localhost'], ['[::1]:8317', '::1'], ['[::1]', '::1'], ['::1', '::1'],
    ['127.0.0.1:80', '127.0.0.1'], ['example.com.', 'example.com'], ['example.com.:443', 'example.com'],
  ];
  for (const [header, name] of cases) it(`${header} -> ${name}`, () => assert.equal(hostName(header), name));
});

describe('hostAllowed', () => {
  // [Host header, allowed-hosts, bound to loopback, expected]
  const cases: Array<[string | undefined, string[], boolean, boolean]> = [
    [undefined, [], true, true],
    ['localhost:8317', [], true, true],
    ['sub.localhost', [], true, true],
    ['127.0.0.2:1', [], true, true],
    ['[::1]:8317', [], true, true],
    ['evil.example', [], true, false],
    ['10.0.0.5:8317', [], true, false],
    ['localhost.evil.example', [], true, false],
    ['gateway.lan:8317', ['gateway.lan'], true, true],
    ['a.corp.example', ['*.corp.example'], true, true],
    ['corp.example', ['*.corp.example'], true, false],
    ['xcorp.example', ['*.corp.example'], true, false],
    ['anything.example', ['*'], true, true],
    // bound to 0.0.0.0 or a LAN address
    ['gateway.lan', [], false, true],
    ['192.168.1.5:8317', ['gateway.lan'], false, true],
    ['[fe80::1]:8317', ['gateway.lan'], false, true],
    ['evil.example', ['gateway.lan'], false, false],
  ];
  for (const [header, allowed, loopback, expected] of cases) {
    it(`${header} with [${allowed}] ${loopback ? 'on loopback' : 'on another interface'} -> ${expected}`, () => {
      assert.equal(hostAllowed(header, allowed, loopback), expected);
    });
  }
  it('loopback listening addresses', () => {
    for (const a of ['127.0.0.1', '::1', '127.1.2.3', '::ffff:127.0.0.1', 'localhost']) assert.equal(isLoopbackAddress(a), true, a);
    for (const a of ['0.0.0.0', '::', '192.168.1.5']) assert.equal(isLoopbackAddress(a), false, a);
  });
});

describe('sameOrigin and crossOriginProblem', () => {
  const cases: Array<[string, string | undefined, boolean]> = [
    ['http://localhost:8317', 'localhost:8317', true],
    ['http://LOCALHOST:8317', 'localhost:8317', true],
    ['http://127.0.0.1', '127.0.0.1:80', true],
    ['https://gw.example', 'gw.example', true],
    ['http://[::1]:8317', '[::1]:8317', true],
    ['http://localhost:8318', 'localhost:8317', false],
    ['https://evil.example', 'localhost:8317', false],
    ['null', 'localhost:8317', false],
    ['file://', 'localhost:8317', false],
    ['http://localhost:8317', undefined, false],
  ];
  for (const [origin, host, expected] of cases) it(`${origin} vs ${host} -> ${expected}`, () => assert.equal(sameOrigin(origin, host), expected));

  it('no Origin: not a browser request, nothing to refuse', () => {
    assert.equal(crossOriginProblem('POST', { host: 'localhost:1' }), undefined);
  });
  it('a preflight is refused even from the same origin (the gateway never needs one)', () => {
    assert.match(crossOriginProblem('OPTIONS', { host: 'localhost:1', origin: 'http://localhost:1', 'access-control-request-method': 'POST' }) ?? '', /does not allow CORS/);
  });
  it('a huge Origin is quoted short', () => {
    const p = crossOriginProblem('POST', { host: 'localhost:1', origin: `https://${'a'.repeat(100_000)}.example` }) ?? '';
    assert.ok(p.length < 600, String(p.length));
  });
});
