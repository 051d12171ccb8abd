/** Host header checks, as Django's `validate_host` / `split_domain_port`. */

const HOST_PATTERN = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:\d+)?$/;

// Clients send the same few Host values again and again; splitting is a pure function of the string.
const SPLIT_HOSTS = new Map<string, readonly [domain: string, port: string]>();
const MAX_REMEMBERED_HOSTS = 1024;
// 253 for the name (RFC 1035), 6 for `:65535`.
const MAX_HOST_LENGTH = 259;

/** Splits `Host` into `[domain, port]`, both lower case; `['', '']` when the header is malformed. */
export function splitDomainPort(host: string): readonly [domain: string, port: string] {
  let split = SPLIT_HOSTS.get(host);
  if (split === undefined) {
    split = parseHost(host);
    // Bounded, so a client inventing Host values can't grow it: it starts over when full, and
    // nothing longer than a real host name is kept.
    if (SPLIT_HOSTS.size >= MAX_REMEMBERED_HOSTS) SPLIT_HOSTS.clear();
    if (host.length <= MAX_HOST_LENGTH) SPLIT_HOSTS.set(host, split);
  }
  return split;
}

function parseHost(host: string): [domain: string, port: string] {
  const lowered = host.toLowerCase();
  if (!HOST_PATTERN.test(lowered)) return ['', ''];
  if (lowered.endsWith(']')) return [lowered, ''];
  const colon = lowered.lastIndexOf(':');
  const [domain, port] = colon === -1 ? [lowered, ''] : [lowered.slice(0, colon), lowered.slice(colon + 1)];
  return [domain.endsWith('.') ? domain.slice(0, -1) : domain, port];
}

/**
 * Whether `domain` (from {@link splitDomainPort}) matches one of `allowed`: `'*'` matches all,
 * `.example.com` matches example.com and every subdomain, anything else matches exactly.
 */
export function isHostAllowed(domain: string, allowed: readonly string[]): boolean {
  if (domain === '') return false;
  for (const pattern of allowed) {
    if (pattern === '*') return true;
    const lowered = pattern.toLowerCase();
    if (lowered.startsWith('.')) {
      if (domain === lowered.slice(1) || domain.endsWith(lowered)) return true;
    } else if (domain === lowered) {
      return true;
    }
  }
  return false;
}
