/**
 * The error catalog. Every error Manouche raises on purpose has a class, a stable `code` and a
 * `status`: the HTTP status it becomes when it escapes a view or a middleware, 500 for an error that
 * never becomes an answer by itself. The table in the core README lists them all (a test keeps it in
 * step with these classes).
 *
 * This module is the lowest of core: it imports nothing from the rest of it.
 */

/**
 * Base class of every error the framework raises on purpose. Manouche never raises it directly;
 * subclass it for your own errors and give them a `code` and a `status`.
 */
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

// Errors of the request: a 4xx.

/** The requested resource does not exist: 404. Raised when no URL pattern matches, or by a view. */
export class Http404 extends ManoucheError {
  override readonly code: string = 'MNC_ERR_NOT_FOUND';
  override readonly status: number = 404;
}

/**
 * The user may not do this: 403. Raised by a view or a middleware that refuses, such as
 * `CommonMiddleware` for a `User-Agent` in `DISALLOWED_USER_AGENTS`.
 */
export class PermissionDenied extends ManoucheError {
  override readonly code: string = 'MNC_ERR_PERMISSION_DENIED';
  override readonly status: number = 403;
}

/**
 * The request is malicious or malformed in a way worth noticing: 400. Raised for suspicious input,
 * such as a redirect to an unsafe scheme.
 */
export class SuspiciousOperation extends ManoucheError {
  override readonly code: string = 'MNC_ERR_SUSPICIOUS_OPERATION';
  override readonly status: number = 400;
}

/** The Host header is not in `ALLOWED_HOSTS`: 400. Raised by `request.getHost()`. */
export class DisallowedHost extends SuspiciousOperation {
  override readonly code: string = 'MNC_ERR_DISALLOWED_HOST';
}

/**
 * The request is malformed: 400. Raised for a bad query string, path, JSON or multipart body, or
 * more fields than `DATA_UPLOAD_MAX_NUMBER_FIELDS`.
 */
export class BadRequest extends ManoucheError {
  override readonly code: string = 'MNC_ERR_BAD_REQUEST';
  override readonly status: number = 400;
}

/**
 * A response header that can't be written: a name that is not an RFC 9110 token, or a value with CR,
 * LF, NUL or another control character (Django's `BadHeaderError`). Raised when the header is set, so
 * the mistake surfaces in the view that made it; a programming error, it escapes as a 500.
 */
export class BadHeaderError extends ManoucheError {
  override readonly code: string = 'MNC_ERR_BAD_HEADER';
}

/**
 * The request body is larger than a limit: `DATA_UPLOAD_MAX_MEMORY_SIZE` (what is held in memory: a
 * whole body, or the non-file fields of a multipart one) or `REQUEST_MAX_BODY_SIZE` (everything,
 * files included): 413. Raised while reading it, or from its declared `Content-Length` before.
 */
export class RequestDataTooBig extends SuspiciousOperation {
  override readonly code: string = 'MNC_ERR_REQUEST_DATA_TOO_BIG';
  override readonly status: number = 413;
}

/**
 * `request.body` was read after the server streamed a multipart body into `POST` and `FILES` without
 * keeping its raw bytes (Django's `RawPostDataException`): 500, a bug in the code that reads it.
 */
export class RawPostDataException extends ManoucheError {
  override readonly code: string = 'MNC_ERR_RAW_POST_DATA';
}

/**
 * The client went away before its request body arrived. Raised while reading the body; the server
 * answers nothing and logs one warning. Its status is nginx's 499 "Client Closed Request", as for
 * `WebSocketClosed`.
 */
export class ClientDisconnected extends ManoucheError {
  override readonly code: string = 'MNC_ERR_CLIENT_DISCONNECTED';
  override readonly status: number = 499;
}

// Errors of the application or of its configuration: a 500 when they escape a view.

/**
 * The settings, the URL conf or the middleware stack are wrong. Raised mostly by `createApp` (bad
 * settings, URL conf or middleware options); also by `reverse()` without an application, and by
 * `getToken()` when `CsrfViewMiddleware` is not in the stack (as Django raises it for a missing
 * middleware).
 */
export class ImproperlyConfigured extends ManoucheError {
  override readonly code: string = 'MNC_ERR_IMPROPERLY_CONFIGURED';
}

/** Thrown by a middleware constructor to remove itself from the stack; never reaches a request. */
export class MiddlewareNotUsed extends ManoucheError {
  override readonly code: string = 'MNC_ERR_MIDDLEWARE_NOT_USED';
}

/** A view or a hook returned nothing where a response was required. */
export class MissingResponse extends ManoucheError {
  override readonly code: string = 'MNC_ERR_MISSING_RESPONSE';
}

/** Raised by `reverse()` when no URL pattern has the name, or the parameters do not fit it. */
export class NoReverseMatch extends ManoucheError {
  override readonly code: string = 'MNC_ERR_NO_REVERSE_MATCH';
}

/** Raised by a template engine when no configured engine has a template by this name. */
export class TemplateDoesNotExist extends ManoucheError {
  override readonly code: string = 'MNC_ERR_TEMPLATE_DOES_NOT_EXIST';
}

/**
 * Raised when an immutable `QueryDict` (`request.GET`, `request.POST`, or one built without
 * `{ mutable: true }`) is changed; Django raises `AttributeError`. Change a `copy()` instead.
 */
export class ImmutableQueryDictError extends ManoucheError {
  override readonly code: string = 'MNC_ERR_IMMUTABLE_QUERY_DICT';
}

/**
 * Raised when a `TemplateResponse`'s `content` is read before it was rendered (Django's
 * `ContentNotRenderedError`); `await response.render()` first.
 */
export class ContentNotRenderedError extends ManoucheError {
  override readonly code: string = 'MNC_ERR_CONTENT_NOT_RENDERED';
}

/**
 * `APPEND_SLASH` would redirect a `POST`/`PUT`/`PATCH` and lose its body. Raised by `CommonMiddleware`
 * only with `DEBUG`, so the developer sees the mistake (Django raises `RuntimeError`).
 */
export class AppendSlashRedirectError extends ManoucheError {
  override readonly code: string = 'MNC_ERR_APPEND_SLASH_REDIRECT';
}

/**
 * Raised (as a rejection) by `app.listen()` when the application is already listening; `close()` it
 * first. Node's own server calls this `ERR_SERVER_ALREADY_LISTEN`.
 */
export class ServerAlreadyListening extends ManoucheError {
  override readonly code: string = 'MNC_ERR_SERVER_ALREADY_LISTENING';
}

/**
 * A signed value whose signature does not match, or that is older than the age allowed (Django's
 * `BadSignature` and `SignatureExpired`). Raised by `Signer.unsign()`; the sessions middleware treats
 * it as "no session".
 */
export class BadSignature extends ManoucheError {
  override readonly code: string = 'MNC_ERR_BAD_SIGNATURE';
}

/**
 * Django's `MessageFailure`: a message was added (`messages.success(request, ...)`) to a request that
 * `MessageMiddleware` did not see, so it could not be kept. Pass `{ failSilently: true }` to drop it
 * instead.
 */
export class MessageFailure extends ManoucheError {
  override readonly code: string = 'MNC_ERR_MESSAGE_FAILURE';
}

/**
 * Django's `CommandError`: a failure a `manouche` command explains in one message, printed as
 * `Error: ...` without a trace, exiting with `exitCode` (default 1, the CLI's `EXIT_FAILURE`; 2,
 * `EXIT_USAGE`, for a wrong command line).
 */
export class CommandError extends ManoucheError {
  override readonly code: string = 'MNC_ERR_COMMAND';
  /** The process exit code. */
  readonly exitCode: number;

  // 1 is EXIT_FAILURE of cli/errors.ts, written out because this module imports nothing from core.
  constructor(message: string, exitCode: number = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The HTTP status an error becomes: its own `status` for ours, 500 for anything else. */
export function statusOfError(error: unknown): number {
  return error instanceof ManoucheError ? error.status : 500;
}
