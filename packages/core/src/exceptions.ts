/**
 * The error catalog. Every error Manouche raises on purpose has a class, a stable `code` and, when it
 * becomes an HTTP response, a `status`. The table in the core README lists them all.
 */

/** Base class of every error the framework raises on purpose. */
export class ManoucheError extends Error {
  /** Stable identifier, safe to match on (`MNC_ERR_...`). */
  readonly code: string = 'MNC_ERR_INTERNAL';
  /** The HTTP status this error becomes when it escapes a view or middleware. */
  readonly status: number = 500;

  constructor(message = '') {
    super(message);
    this.name = new.target.name;
  }
}

/** The requested resource does not exist: 404. */
export class Http404 extends ManoucheError {
  override readonly code: string = 'MNC_ERR_NOT_FOUND';
  override readonly status: number = 404;
}

/** The user may not do this: 403. */
export class PermissionDenied extends ManoucheError {
  override readonly code: string = 'MNC_ERR_PERMISSION_DENIED';
  override readonly status: number = 403;
}

/** The request is malicious or malformed in a way worth noticing: 400. */
export class SuspiciousOperation extends ManoucheError {
  override readonly code: string = 'MNC_ERR_SUSPICIOUS_OPERATION';
  override readonly status: number = 400;
}

/** The Host header is not in `ALLOWED_HOSTS`: 400. */
export class DisallowedHost extends SuspiciousOperation {
  override readonly code: string = 'MNC_ERR_DISALLOWED_HOST';
}

/** The request is malformed (bad query string, bad JSON, bad multipart body): 400. */
export class BadRequest extends ManoucheError {
  override readonly code: string = 'MNC_ERR_BAD_REQUEST';
  override readonly status: number = 400;
}

/** The request body is larger than `DATA_UPLOAD_MAX_MEMORY_SIZE`: 413. */
export class RequestDataTooBig extends SuspiciousOperation {
  override readonly code: string = 'MNC_ERR_REQUEST_DATA_TOO_BIG';
  override readonly status: number = 413;
}

/** The settings or the URL conf are wrong; raised at `createApp`, never per request. */
export class ImproperlyConfigured extends ManoucheError {
  override readonly code: string = 'MNC_ERR_IMPROPERLY_CONFIGURED';
}

/** Thrown by a middleware constructor to remove itself from the stack. */
export class MiddlewareNotUsed extends ManoucheError {
  override readonly code: string = 'MNC_ERR_MIDDLEWARE_NOT_USED';
}

/** A view or a hook returned nothing where a response was required: 500. */
export class MissingResponse extends ManoucheError {
  override readonly code: string = 'MNC_ERR_MISSING_RESPONSE';
}

/** No URL pattern has the name given to `reverse()`, or the parameters do not fit it. */
export class NoReverseMatch extends ManoucheError {
  override readonly code: string = 'MNC_ERR_NO_REVERSE_MATCH';
}

/** The HTTP status an error becomes: its own `status` for ours, 500 for anything else. */
export function statusOfError(error: unknown): number {
  return error instanceof ManoucheError ? error.status : 500;
}
