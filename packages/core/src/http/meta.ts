import type { RequestHeaders } from './headers';
import { splitDomainPort } from './hosts';

/**
 * What `META` is built from: the request's public fields. A structural view of `HttpRequest`, which
 * calls {@link buildMeta}: importing the class here would make a circle.
 */
export interface MetaSource {
  readonly method: string;
  readonly path: string;
  readonly queryString: string;
  readonly remoteAddress: string;
  readonly serverPort: number;
  readonly headers: RequestHeaders;
  rawHost(): string;
}

/**
 * Django's `META` for `request` (`REQUEST_METHOD`, `PATH_INFO`, `HTTP_*`...), in an object without a
 * prototype. The connection's scheme and protocol are the request's private fields, passed in.
 */
export function buildMeta(
  request: MetaSource,
  connectionScheme: 'http' | 'https',
  serverProtocol: 'HTTP/1.1' | 'HTTP/2.0',
): Record<string, string> {
  const meta: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
    REQUEST_METHOD: request.method,
    PATH_INFO: request.path,
    QUERY_STRING: request.queryString,
    REMOTE_ADDR: request.remoteAddress,
    SERVER_PORT: String(request.serverPort),
    SERVER_NAME: splitDomainPort(request.rawHost())[0] || 'localhost',
    SERVER_PROTOCOL: serverProtocol,
    'wsgi.url_scheme': connectionScheme,
  });
  for (const [name, value] of request.headers) {
    if (name === 'content-type') meta.CONTENT_TYPE = value;
    else if (name === 'content-length') meta.CONTENT_LENGTH = value;
    else meta[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = value;
  }
  return meta;
}
