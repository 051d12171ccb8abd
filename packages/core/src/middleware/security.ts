import { ImproperlyConfigured } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { HttpResponsePermanentRedirect, type HttpResponse } from '../http/response';
import type { ResolvedSettings } from '../settings';
import { MiddlewareMixin } from './mixin';

/**
 * Django's `SecurityMiddleware`: the security headers and the HTTPS redirect, read from the settings on
 * every request. A header the view (or an inner middleware) already set is never overwritten.
 *
 * | setting | effect |
 * | --- | --- |
 * | `SECURE_SSL_REDIRECT` | a non-secure request gets a 301 to the same URL over `https` (on `SECURE_SSL_HOST` when set), unless its path (without the leading `/`) matches a `SECURE_REDIRECT_EXEMPT` pattern |
 * | `SECURE_HSTS_SECONDS` | when > 0, secure responses get `Strict-Transport-Security: max-age=N`, plus `; includeSubDomains` (`SECURE_HSTS_INCLUDE_SUBDOMAINS`) and `; preload` (`SECURE_HSTS_PRELOAD`) |
 * | `SECURE_CONTENT_TYPE_NOSNIFF` | `X-Content-Type-Options: nosniff` |
 * | `SECURE_REFERRER_POLICY` | `Referrer-Policy` (a comma-separated list of fallbacks, or an array of them) |
 * | `SECURE_CROSS_ORIGIN_OPENER_POLICY` | `Cross-Origin-Opener-Policy`, on every response, as Django 4 does |
 *
 * "Secure" is {@link HttpRequest.isSecure}, so `SECURE_PROXY_SSL_HEADER` applies.
 * Works in `MIDDLEWARE` and `MIDDLEWARE_CLASSES`.
 */
export class SecurityMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): HttpResponse | null {
    const settings = request.app!.settings;
    if (!settings.SECURE_SSL_REDIRECT || request.isSecure()) return null;
    const path = request.path.replace(/^\/+/, '');
    if (redirectExemptions(settings).some((pattern) => pattern.test(path))) return null;
    const host = sslHost(settings) ?? request.getHost();
    return new HttpResponsePermanentRedirect(`https://${host}${request.getFullPath()}`);
  }

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    const settings = request.app!.settings;
    const headers = response.headers;
    const values = headerValuesFor(settings);
    if (values.hsts !== null && request.isSecure())
      headers.setDefault('Strict-Transport-Security', values.hsts);
    if (values.nosniff) headers.setDefault('X-Content-Type-Options', 'nosniff');
    if (values.referrerPolicy !== null) headers.setDefault('Referrer-Policy', values.referrerPolicy);
    if (values.openerPolicy !== null) headers.setDefault('Cross-Origin-Opener-Policy', values.openerPolicy);
    return response;
  }
}

/** The header values the settings ask for, as written to every response, and the settings they came from. */
interface SecurityHeaderValues {
  readonly hsts: string | null;
  readonly nosniff: boolean;
  readonly referrerPolicy: string | null;
  readonly openerPolicy: string | null;
  readonly from: readonly unknown[];
}

// Settings are read per request (overrideSettings changes them in place), but they rarely change:
// the values are worked out again only when one of the settings they come from did.
const headerValuesBySettings = new WeakMap<ResolvedSettings, SecurityHeaderValues>();

function headerValuesFor(settings: ResolvedSettings): SecurityHeaderValues {
  const known = headerValuesBySettings.get(settings);
  if (known !== undefined && madeFrom(known, settings)) return known;
  const values: SecurityHeaderValues = {
    hsts: hstsValue(settings),
    nosniff: settings.SECURE_CONTENT_TYPE_NOSNIFF,
    referrerPolicy: referrerPolicyValue(settings.SECURE_REFERRER_POLICY),
    openerPolicy: settings.SECURE_CROSS_ORIGIN_OPENER_POLICY || null,
    from: sourcesOf(settings),
  };
  headerValuesBySettings.set(settings, values);
  return values;
}

function sourcesOf(settings: ResolvedSettings): unknown[] {
  return [
    settings.SECURE_HSTS_SECONDS,
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    settings.SECURE_HSTS_PRELOAD,
    settings.SECURE_CONTENT_TYPE_NOSNIFF,
    settings.SECURE_REFERRER_POLICY,
    settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
  ];
}

/** Whether `values` were worked out from the settings as they are now (compared without allocating). */
function madeFrom(values: SecurityHeaderValues, settings: ResolvedSettings): boolean {
  const from = values.from;
  return (
    from[0] === settings.SECURE_HSTS_SECONDS &&
    from[1] === settings.SECURE_HSTS_INCLUDE_SUBDOMAINS &&
    from[2] === settings.SECURE_HSTS_PRELOAD &&
    from[3] === settings.SECURE_CONTENT_TYPE_NOSNIFF &&
    from[4] === settings.SECURE_REFERRER_POLICY &&
    from[5] === settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
  );
}

function hstsValue(settings: ResolvedSettings): string | null {
  if (!(settings.SECURE_HSTS_SECONDS > 0)) return null;
  let value = `max-age=${settings.SECURE_HSTS_SECONDS}`;
  if (settings.SECURE_HSTS_INCLUDE_SUBDOMAINS) value += '; includeSubDomains';
  if (settings.SECURE_HSTS_PRELOAD) value += '; preload';
  return value;
}

/** A comma-separated string or an array of fallbacks, as Django accepts; `null` for none. */
function referrerPolicyValue(policy: ResolvedSettings['SECURE_REFERRER_POLICY']): string | null {
  if (!policy) return null;
  return (typeof policy === 'string' ? policy.split(',') : policy)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .join(',');
}

function sslHost(settings: ResolvedSettings): string | null {
  const host = settings.SECURE_SSL_HOST;
  if (host === undefined || host === null || host === '') return null;
  if (typeof host !== 'string')
    throw new ImproperlyConfigured(
      `The SECURE_SSL_HOST setting must be a host name or null; got ${typeof host}`,
    );
  return host;
}

const compiledExemptions = new WeakMap<readonly unknown[], RegExp[]>();

/**
 * `SECURE_REDIRECT_EXEMPT`: patterns (strings as in Django's `re.search`, or `RegExp`s) for paths,
 * without their leading `/`, that stay on plain HTTP. Compiled once per array.
 */
function redirectExemptions(settings: ResolvedSettings): RegExp[] {
  const exempt = settings.SECURE_REDIRECT_EXEMPT;
  if (exempt === undefined || exempt === null) return [];
  if (!Array.isArray(exempt)) {
    throw new ImproperlyConfigured(
      `The SECURE_REDIRECT_EXEMPT setting must be an array of patterns (strings or RegExps); got ${typeof exempt}`,
    );
  }
  let compiled = compiledExemptions.get(exempt);
  if (compiled === undefined) {
    compiled = exempt.map((pattern: unknown) => {
      // A `g`/`y` RegExp's test() is stateful (lastIndex): strip those flags.
      if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      if (typeof pattern === 'string') return new RegExp(pattern);
      throw new ImproperlyConfigured(
        `The SECURE_REDIRECT_EXEMPT setting must hold strings or RegExps; got ${typeof pattern}`,
      );
    });
    compiledExemptions.set(exempt, compiled);
  }
  return compiled;
}
