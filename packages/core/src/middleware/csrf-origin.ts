import type { HttpRequest } from '../http/request';

// Django's CsrfViewMiddleware decides where an unsafe request came from before it looks at the token:
// by its Origin header when the browser sent one, else (on HTTPS only) by its Referer.

/** The reasons Django gives, so a log line (and a `CSRF_FAILURE_VIEW`) reads the same. */
export const CsrfReason = {
  BAD_ORIGIN: 'Origin checking failed - %s does not match any trusted origins.',
  NO_REFERER: 'Referer checking failed - no Referer.',
  BAD_REFERER: 'Referer checking failed - %s does not match any trusted origins.',
  MALFORMED_REFERER: 'Referer checking failed - Referer is malformed.',
  INSECURE_REFERER: 'Referer checking failed - Referer is insecure while host is secure.',
  NO_COOKIE: 'CSRF cookie not set.',
  BAD_TOKEN: 'CSRF token incorrect.',
  NO_TOKEN: 'CSRF token missing.',
} as const;

/** `CSRF_TRUSTED_ORIGINS` compiled: exact origins, wildcard hosts by scheme, hosts for the Referer. */
interface TrustedOrigins {
  readonly exact: ReadonlySet<string>;
  /** `https://*.example.org` gives `.example.org` under `https`. */
  readonly subdomainsByScheme: ReadonlyMap<string, readonly string[]>;
  /** Every entry's host, a wildcard's leading `*` dropped (the Referer check ignores the scheme). */
  readonly refererHosts: readonly string[];
}

// Keyed by the settings' array, so it is compiled once, and again only when a test overrides it.
const compiled = new WeakMap<readonly string[], TrustedOrigins>();

function trustedOrigins(entries: readonly string[]): TrustedOrigins {
  let trusted = compiled.get(entries);
  if (trusted !== undefined) return trusted;
  const exact = new Set<string>();
  const subdomainsByScheme = new Map<string, string[]>();
  const refererHosts: string[] = [];
  for (const entry of entries) {
    const separator = entry.indexOf('://');
    const scheme = separator === -1 ? '' : entry.slice(0, separator).toLowerCase();
    const host = (separator === -1 ? entry : entry.slice(separator + 3)).split('/')[0]!.toLowerCase();
    const bareHost = host.replace(/^\*+/, '');
    refererHosts.push(bareHost);
    if (!entry.includes('*')) {
      exact.add(entry.toLowerCase());
      continue;
    }
    const hosts = subdomainsByScheme.get(scheme) ?? [];
    hosts.push(bareHost);
    subdomainsByScheme.set(scheme, hosts);
  }
  trusted = { exact, subdomainsByScheme, refererHosts };
  compiled.set(entries, trusted);
  return trusted;
}

/**
 * Django's `is_same_domain`: `pattern` `.example.org` matches `example.org` and every subdomain of
 * it; any other pattern matches itself only.
 */
export function isSameDomain(host: string, pattern: string): boolean {
  if (pattern === '') return false;
  const lowered = pattern.toLowerCase();
  const candidate = host.toLowerCase();
  if (lowered.startsWith('.')) return candidate.endsWith(lowered) || candidate === lowered.slice(1);
  return candidate === lowered;
}

/**
 * Whether `origin` is this site (same scheme and host) or one of `CSRF_TRUSTED_ORIGINS`, a
 * wildcard entry (`https://*.example.org`) trusting every subdomain under that scheme.
 */
export function isTrustedOrigin(request: HttpRequest, origin: string): boolean {
  const lowered = origin.toLowerCase();
  try {
    if (lowered === `${request.isSecure() ? 'https' : 'http'}://${request.getHost()}`.toLowerCase())
      return true;
  } catch {
    // A disallowed Host can still post from a trusted origin, as in Django.
  }
  const trusted = trustedOrigins(request.app!.settings.CSRF_TRUSTED_ORIGINS);
  if (trusted.exact.has(lowered)) return true;
  const parsed = parseUrl(origin);
  if (parsed === null) return false;
  const patterns = trusted.subdomainsByScheme.get(parsed.scheme) ?? [];
  return patterns.some((pattern) => isSameDomain(parsed.host, pattern));
}

/**
 * Django's Referer check, for an unsafe HTTPS request that sent no `Origin`: the Referer must be an
 * `https` URL whose host is one of `CSRF_TRUSTED_ORIGINS`' hosts, or this site: the CSRF cookie's
 * domain (`SESSION_COOKIE_DOMAIN` with `CSRF_USE_SESSIONS`) when one is set, else the Host. Returns
 * the reason to refuse, or `null`.
 */
export function refererFailure(request: HttpRequest): string | null {
  const referer = request.headers.get('referer');
  if (referer === null) return CsrfReason.NO_REFERER;
  const parsed = parseUrl(referer);
  if (parsed === null || parsed.host === '') return CsrfReason.MALFORMED_REFERER;
  if (parsed.scheme !== 'https') return CsrfReason.INSECURE_REFERER;
  const settings = request.app!.settings;
  const trusted = trustedOrigins(settings.CSRF_TRUSTED_ORIGINS);
  if (trusted.refererHosts.some((host) => isSameDomain(parsed.host, host))) return null;
  const bad = CsrfReason.BAD_REFERER.replace('%s', referer);
  const cookieDomain = settings.CSRF_USE_SESSIONS
    ? settings.SESSION_COOKIE_DOMAIN
    : settings.CSRF_COOKIE_DOMAIN;
  let goodReferer: string;
  if (cookieDomain == null) {
    try {
      goodReferer = request.getHost();
    } catch {
      return bad;
    }
  } else {
    const port = request.getPort();
    goodReferer = port === '443' || port === '80' ? cookieDomain : `${cookieDomain}:${port}`;
  }
  return isSameDomain(parsed.host, goodReferer) ? null : bad;
}

/** Scheme and `host[:port]` of an absolute URL, lower case; `null` when it does not parse. */
function parseUrl(text: string): { scheme: string; host: string } | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return { scheme: url.protocol.slice(0, -1), host: url.host };
}
