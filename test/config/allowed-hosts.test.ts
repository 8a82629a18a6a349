// allowed-hosts in config.yaml: entries normalised (lower case, no brackets, no trailing dot), bad entries
// refused with the key path and a fix, a near-miss key name gets "did you mean".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateFileText } from '../../src/config/file-config.ts';
import { formatProblem } from '../../src/config/problems.ts';

describe('allowed-hosts', () => {
  it('absent: an empty list', () => {
    assert.deepEqual(evaluateFileText('port: 8317\n', {}).settings?.allowedHosts, []);
  });

  it('names, wildcards, IPs and * are kept, normalised and de-duplicated', () => {
    const e = evaluateFileText('allowed-hosts: [Gateway.LAN, "gateway.lan.", "*.corp.example", "[fe80::1]", 10.0.0.5, "*"]\n', {});
    assert.deepEqual(e.errors, []);
    assert.deepEqual(e.settings?.allowedHosts, ['gateway.lan', '*.corp.example', 'fe80::1', '10.0.0.5', '*']);
  });

  const bad: Array<[string, RegExp]> = [
    ['"https://gateway.lan:8317/"', /allowed-hosts\[0\]: .*is a URL, not a host name; write only the host name: gateway\.lan/],
    ['"gateway.lan:8317"', /allowed-hosts\[0\]: .*includes a port; write gateway\.lan \(any port is accepted\)/],
    ['""', /allowed-hosts\[0\]: is empty; write a host name/],
    ['"bad host!"', /allowed-hosts\[0\]: .*is not a host name; write a host name/],
    ['8317', /allowed-hosts\[0\]/],
  ];
  for (const [entry, line] of bad) {
    it(`refuses ${entry}`, () => {
      const e = evaluateFileText(`allowed-hosts: [${entry}]\n`, {});
      assert.equal(e.settings, null);
      assert.match(e.errors.map(formatProblem).join('\n'), line);
    });
  }

  it('a list written as one string is refused with how to write a list', () => {
    const e = evaluateFileText('allowed-hosts: gateway.lan\n', {});
    assert.equal(e.settings, null);
    assert.match(e.errors.map(formatProblem).join('\n'), /allowed-hosts: .*allowed-hosts: \[gateway\.lan\]/);
  });

  it('allowed-host (a near miss) is a warning with "did you mean"', () => {
    const e = evaluateFileText('allowed-host: [gateway.lan]\n', {});
    assert.match(e.warnings.map(formatProblem).join('\n'), /did you mean "allowed-hosts"/);
  });
});
