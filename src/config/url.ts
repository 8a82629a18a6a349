// http(s) base URLs: actionable messages, trailing slash normalised.
import { showValue } from './problems.ts';

export type UrlCheck = { ok: true; url: string } | { ok: false; message: string; fix: string };

/**
 * @param dropSuffix a path the gateway appends itself (e.g. /responses); a URL ending in it is an error.
 * @param example a URL to show when nothing better can be suggested.
 */
export function checkHttpUrl(raw: string, dropSuffix: RegExp | null, example: string): UrlCheck {
  const shown = showValue(raw);
  const value = raw.trim();
  if (value === '') return { ok: false, message: 'is empty', fix: `write a full URL, e.g. ${example}` };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const guess = `https://${value.replace(/^\/+/, '').replace(/\/+$/, '')}`;
    const fix = URL.canParse(guess) ? `write ${guess}` : `write a full URL, e.g. ${example}`;
    return { ok: false, message: `${shown} is not an http(s) URL`, fix };
  }
  if (!URL.canParse(value)) return { ok: false, message: `${shown} is not a valid URL`, fix: `write a full URL, e.g. ${example}` };
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const guess = `https://${value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '')}`;
    return { ok: false, message: `${shown} is not an http(s) URL (scheme ${url.protocol.slice(0, -1)})`, fix: `write ${guess}` };
  }
  if (url.search || url.hash) {
    const base = value.replace(/[?#].*$/, '').replace(/\/+$/, '');
    return { ok: false, message: `${shown} carries a query string or fragment`, fix: `write ${base}` };
  }
  const normalised = value.replace(/\/+$/, '');
  if (dropSuffix) {
    const m = dropSuffix.exec(normalised);
    if (m) {
      const base = normalised.slice(0, m.index);
      return {
        ok: false,
        message: `${shown} ends with ${m[0]}`,
        fix: `drop ${m[0]}: write ${base} (the gateway appends ${m[0]} itself)`,
      };
    }
  }
  return { ok: true, url: normalised };
}
