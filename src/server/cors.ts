// Browsers of other origins get nothing: packybridge never sends Access-Control-Allow-Origin, answers every CORS
// preflight (OPTIONS with Origin and Access-Control-Request-Method) with a 403 a browser reports as a CORS
// failure, and refuses requests whose Origin is not the gateway's own (a "simple" cross-origin POST needs no
// preflight, and would otherwise run before the browser hides its answer). Same-origin requests (a page the
// gateway itself serves, such as a future /panel) carry an Origin equal to their Host and pass.
import type { IncomingHttpHeaders } from 'node:http';
import { hostName } from './host-check.ts';

export function isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

function portOf(hostHeader: string): string | undefined {
  const h = hostHeader.trim();
  const m = /:(\d+)$/.exec(h);
  if (!m) return undefined;
  // a bare IPv6 address without brackets has colons but no port
  if (!h.startsWith('[') && h.indexOf(':') !== h.lastIndexOf(':')) return undefined;
  return m[1];
}

/** Is this Origin the same origin as the Host the request was sent to (scheme aside)? */
export function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and anything unparsable
  }
  const defaultPort = DEFAULT_PORT[url.protocol];
  if (!defaultPort) return false;
  const originPort = url.port || defaultPort;
  const hostPort = portOf(hostHeader) ?? defaultPort;
  return hostName(url.host) === hostName(hostHeader) && originPort === hostPort;
}

/** Why a browser request is refused, or undefined when it may go on. `origin` is capped in the message. */
export function crossOriginProblem(method: string, headers: IncomingHttpHeaders): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const shown = JSON.stringify(String(origin).slice(0, 200));
  if (isPreflight(method, headers)) {
    return `cross-origin request refused: packybridge does not allow CORS, so web pages of other origins (here ${shown}) ` +
      'cannot call it. Call it from a program (Claude Code, an SDK, curl), not from a web page.';
  }
  if (sameOrigin(String(origin), headers.host)) return undefined;
  return `cross-origin request refused: the request comes from a web page of origin ${shown}, not from packybridge's own ` +
    'address. Call packybridge from a program (Claude Code, an SDK, curl), not from a web page.';
}
