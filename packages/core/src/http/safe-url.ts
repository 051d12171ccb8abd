import { isIPv6 } from 'node:net';

/** The parts of a URL that decide where a browser goes: Python's `urlsplit()` scheme and netloc. */
export interface UrlTarget {
  /** Lower case, `''` when the URL has none (`/path`, `//host/path`). */
  readonly scheme: string;
  /** `user@host:port` as written, `''` when the URL has none. */
  readonly netloc: string;
}

// Python's urlsplit() strips these from the front, and tab, CR and LF from everywhere, before it
// parses; browsers do the same, so a check must see the URL as they will.
// eslint-disable-next-line no-control-regex -- the C0 controls are exactly what is stripped
const LEADING_C0_OR_SPACE = /^[\u0000-\u0020]+/;
const TAB_CR_LF = /[\t\r\n]/g;
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*$/;
const CONTROL_OR_FORMAT = /^\p{C}/u;

/**
 * The scheme and netloc of `url` as Python's `urlsplit()` finds them (Django's redirect checks are
 * written against it), or `null` for a URL it refuses (an unbalanced or invalid `[IPv6]` host).
 */
export function splitUrl(url: string): UrlTarget | null {
  let rest = url.replace(LEADING_C0_OR_SPACE, '').replace(TAB_CR_LF, '');
  let scheme = '';
  const colon = rest.indexOf(':');
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  if (!rest.startsWith('//')) return { scheme, netloc: '' };
  const end = rest.slice(2).search(/[/?#]/);
  const netloc = end === -1 ? rest.slice(2) : rest.slice(2, 2 + end);
  if (netloc.includes('[') !== netloc.includes(']')) return null;
  if (netloc.includes('[') && !isValidBracketedHost(netloc)) return null;
  return { scheme, netloc };
}

function isValidBracketedHost(netloc: string): boolean {
  const hostAndPort = netloc.slice(netloc.lastIndexOf('@') + 1);
  const open = hostAndPort.indexOf('[');
  const close = hostAndPort.indexOf(']');
  if (open !== 0 || close < open) return false;
  const port = hostAndPort.slice(close + 1);
  return (port === '' || port.startsWith(':')) && isIPv6(hostAndPort.slice(1, close));
}

/**
 * Django's `url_has_allowed_host_and_scheme()`: true when redirecting to `url` keeps the user on one
 * of `allowedHosts` (a relative URL always does) with an `http`/`https` scheme (`https` only, with
 * `requireHttps`). Refuses `//evil.example`, `https://evil.example`, `/\evil.example` (browsers read
 * `\` as `/`), `///evil.example` (also with tabs or newlines among the slashes, which browsers drop),
 * `http:///evil.example`, `javascript:...`, and URLs starting with a control character. Use it on any
 * `next` parameter before redirecting to it.
 *
 * `allowedHosts` are compared with the URL's netloc as written: include the port when it has one
 * (`request.getHost()` gives exactly that).
 */
export function urlHasAllowedHostAndScheme(
  url: string | null | undefined,
  allowedHosts: Iterable<string> | string | null = null,
  requireHttps = false,
): boolean {
  const trimmed = url?.trim();
  if (!trimmed) return false;
  const hosts = new Set(typeof allowedHosts === 'string' ? [allowedHosts] : (allowedHosts ?? []));
  return (
    isAllowed(trimmed, hosts, requireHttps) && isAllowed(trimmed.replace(/\\/g, '/'), hosts, requireHttps)
  );
}

function isAllowed(url: string, allowedHosts: ReadonlySet<string>, requireHttps: boolean): boolean {
  // Chrome takes a URL with three slashes as absolute, whatever the parser says. Browsers drop tabs and
  // newlines first, so `//\t/evil` counts too (Django tests the URL as given, and lets that one through).
  if (url.replace(TAB_CR_LF, '').startsWith('///')) return false;
  const target = splitUrl(url);
  if (target === null) return false;
  // `http:///evil.example` has no host for the parser, but Chrome goes to evil.example.
  if (target.netloc === '' && target.scheme !== '') return false;
  // Some browsers skip leading control characters and read what follows as scheme-relative.
  if (CONTROL_OR_FORMAT.test(url)) return false;
  const scheme = target.scheme === '' && target.netloc !== '' ? 'http' : target.scheme;
  const schemes = requireHttps ? ['https'] : ['http', 'https'];
  return (
    (target.netloc === '' || allowedHosts.has(target.netloc)) && (scheme === '' || schemes.includes(scheme))
  );
}
