import { DisallowedHost } from '../exceptions';
import type { RequestHeaders } from './headers';
import { isHostAllowed, splitDomainPort } from './hosts';
import type { RequestApp } from './request-types';

/**
 * What the host, port and scheme logic reads of a request. A structural view of `HttpRequest`, whose
 * `getHost()`, `rawHost()`, `getPort()` and `scheme` call these functions: importing the class here
 * would make a circle. The functions call the request's own methods, as the methods called each other.
 */
export interface HostSource {
  readonly headers: RequestHeaders;
  readonly serverPort: number;
  readonly app: RequestApp | null;
  rawHost(): string;
  getPort(): string;
  isSecure(): boolean;
}

/** What `SECURE_PROXY_SSL_HEADER` says, or `null` when it is unset or its header is absent. */
export function proxiedScheme(request: HostSource): 'http' | 'https' | null {
  const proxyHeader = request.app?.settings.SECURE_PROXY_SSL_HEADER;
  if (!proxyHeader) return null;
  const [name, secureValue] = proxyHeader;
  const header = /^HTTP_/i.test(name) ? name.slice(5).replace(/_/g, '-') : name;
  const value = request.headers.get(header);
  if (value === null) return null;
  // Proxies that append give `https, http`: the first value is the one the client used (Django 4.1+).
  return value.split(',', 1)[0]!.trim() === secureValue ? 'https' : 'http';
}

/** `request.getHost()`: its raw host, checked against `ALLOWED_HOSTS` (else {@link DisallowedHost}). */
export function checkedHost(request: HostSource): string {
  const host = request.rawHost();
  const settings = request.app?.settings;
  if (!settings) return host;
  const [domain] = splitDomainPort(host);
  if (isHostAllowed(domain, settings.ALLOWED_HOSTS)) return host;
  const hint = domain
    ? ` You may need to add ${JSON.stringify(domain)} to ALLOWED_HOSTS.`
    : ' The domain name provided is not valid.';
  throw new DisallowedHost(`Invalid HTTP_HOST header: ${JSON.stringify(host)}.${hint}`);
}

/** `request.rawHost()`: the Host (or trusted `X-Forwarded-Host`) header, else Django's reconstruction. */
export function rawHost(request: HostSource): string {
  const forwarded = request.app?.settings.USE_X_FORWARDED_HOST
    ? request.headers.get('x-forwarded-host')
    : null;
  const host = forwarded ?? request.headers.get('host');
  if (host !== null) return host;
  const port = request.getPort();
  return port === (request.isSecure() ? '443' : '80') ? 'localhost' : `localhost:${port}`;
}

/** `request.getPort()`: the trusted `X-Forwarded-Port`, else the server's port. */
export function requestPort(request: HostSource): string {
  const forwarded = request.app?.settings.USE_X_FORWARDED_PORT
    ? request.headers.get('x-forwarded-port')
    : null;
  return forwarded ?? String(request.serverPort);
}
