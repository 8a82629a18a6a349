// DNS-rebinding guard: which Host header values the gateway answers. A web page the user visits can make a
// browser send requests to 127.0.0.1 under the page's own host name (evil.example resolving to 127.0.0.1);
// the browser then sends `Host: evil.example`. Refusing host names we were not told about stops that.
//
// The rules, first that applies:
//   - no Host header (HTTP/1.0 clients; never a browser): accepted;
//   - allowed-hosts contains `*`: any Host;
//   - a loopback name: `localhost`, `*.localhost` (RFC 6761: browsers resolve it to loopback themselves, so no
//     outside page can be served under it), `127.x.y.z`, `[::1]`, with any port: accepted;
//   - a name listed in allowed-hosts (`name`, or `*.domain` for its subdomains), any port: accepted;
//   - bound to a non-loopback address (0.0.0.0, a LAN address): an IP-literal Host is accepted (an IP cannot
//     be rebound), and with an empty allowed-hosts any Host is (the gateway cannot know the machine's names;
//     api-keys protect it there);
//   - anything else: 403.
import { isIP } from 'node:net';
import type { Server } from 'node:http';

/** The host name of a Host header: lower-case, brackets and port removed, no trailing dot. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  const name = colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1' || name === '::ffff:127.0.0.1' || name === '0:0:0:0:0:0:0:1';
}

/** Is this listening address a loopback one (127.x, ::1, localhost)? */
export function isLoopbackAddress(address: string): boolean {
  return isLoopbackName(address.toLowerCase()) || address.startsWith('::ffff:127.');
}

function listed(name: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    if (entry === name) return true;
    if (entry.startsWith('*.') && name.endsWith(entry.slice(1))) return true;
  }
  return false;
}

/** `boundToLoopback` may be a function: it is asked only for a name that is neither loopback nor listed. */
export function hostAllowed(header: string | undefined, allowed: readonly string[], boundToLoopback: boolean | (() => boolean)): boolean {
  if (header === undefined || header === '') return true;
  if (allowed.includes('*')) return true;
  const name = hostName(header);
  if (isLoopbackName(name) || listed(name, allowed)) return true;
  if (typeof boundToLoopback === 'function' ? boundToLoopback() : boundToLoopback) return false;
  return isIP(name) !== 0 || allowed.length === 0;
}

/** Whether the server listens on a loopback address; true before it listens (the stricter answer). */
export function boundToLoopback(server: Server): boolean {
  const a = server.address();
  return typeof a === 'object' && a !== null ? isLoopbackAddress(a.address) : true;
}

/** The message for a refused Host: what was refused and how to allow it. The name is capped (it is the client's). */
export function hostRefusal(header: string): string {
  const name = hostName(header).slice(0, 100);
  return `Host "${name}" is not allowed: packybridge answers only the loopback names (localhost, 127.0.0.1, [::1]) ` +
    'and the names in allowed-hosts, so that web pages cannot reach it through DNS rebinding. ' +
    `If you reach the gateway under this name on purpose, add it to allowed-hosts in config.yaml: allowed-hosts: ["${name}"]`;
}
