/**
 * `@manouche/core`: Django's settings, request/response, URL routing and middleware handler for Node.
 * This file only re-exports; each concept lives in its own module.
 */
export { Application, createApp, type ResponseSink } from './application';
export type { HttpServer, ListenOptions, TlsOptions } from './server/node-server';
export { createSelfSignedCertificate } from './server/self-signed';

export { defineSettings, KNOWN_SETTINGS, type ResolvedSettings, type Settings } from './settings';
export {
  AppendSlashRedirectError,
  BadHeaderError,
  BadRequest,
  BadSignature,
  ClientDisconnected,
  CommandError,
  ContentNotRenderedError,
  DisallowedHost,
  Http404,
  ImmutableQueryDictError,
  ImproperlyConfigured,
  ManoucheError,
  MessageFailure,
  MiddlewareNotUsed,
  MissingResponse,
  NoReverseMatch,
  PermissionDenied,
  RawPostDataException,
  RequestDataTooBig,
  ServerAlreadyListening,
  SuspiciousOperation,
  TemplateDoesNotExist,
  statusOfError,
} from './exceptions';
export { consoleLogger, escapeForLog, type Logger } from './log';
export { HttpRequest, type RequestState } from './http/request';
export type { HttpRequestInit, ResolverMatch, RequestApp } from './http/request-types';
export type { UpgradeContext, Http1UpgradeContext, Http2UpgradeContext } from './http/upgrade-context';
export {
  HttpResponse,
  HttpResponseBadRequest,
  HttpResponseForbidden,
  HttpResponseGone,
  HttpResponseNotAllowed,
  HttpResponseNotFound,
  HttpResponseNotModified,
  HttpResponsePermanentRedirect,
  HttpResponseRedirect,
  HttpResponseServerError,
  JsonResponse,
  type JsonResponseInit,
  type ResponseInit,
} from './http/response';
export { contentDispositionHeader } from './http/content-disposition';
export { StreamingHttpResponse, type StreamingContent } from './http/streaming-response';
export {
  EventStreamResponse,
  formatEvent,
  type EventSourceInput,
  type EventStreamInit,
  type ServerSentEvent,
} from './http/event-stream';
export { FileResponse, type FileResponseInit, type FileSource } from './http/file-response';
export { QueryDict } from './http/query-dict';
export { RequestHeaders, ResponseHeaders, type HeadersInit, type RawHeaderValue } from './http/headers';
export type { CookieOptions } from './http/cookies';
export { InMemoryUploadedFile, TemporaryUploadedFile, UploadedFile } from './http/uploaded-file';
export type { WebSocketConnection, WebSocketTransport } from './http/websocket-connection';
export { isHostAllowed, splitDomainPort } from './http/hosts';
export type { MediaRange } from './http/accept';
export { urlHasAllowedHostAndScheme } from './http/safe-url';
export {
  path,
  rePath,
  include,
  type ErrorView,
  type IncludeOptions,
  type ServerErrorView,
  type UrlConf,
  type UrlConfModule,
  type UrlInclude,
  type UrlPattern,
  type RouteView,
  type View as ViewFunction,
  type ViewParams,
} from './urls/patterns';
export type { PathConverterTypes, RouteParams } from './urls/route-params';
export { registerConverter, type PathConverter } from './urls/converters';
export { LazyUrl, resolve, reverse, reverseLazy } from './urls/reverse';
export { UrlResolver, type CompiledRoute, type Resolution, type ReverseOptions } from './urls/resolver';
export { middlewareMode, type MiddlewareMode } from './handler/load';
export { setViewEnding, setViewRunner, type ViewEnding, type ViewRunner } from './handler/view-layer';
export { defaultResponseForException, responseForException, serverError } from './handler/exception';
export type {
  GetResponse,
  LegacyMiddleware,
  LegacyMiddlewareClass,
  MaybePromise,
  Middleware,
  MiddlewareClass,
  MiddlewareEntry,
  MiddlewareFactory,
  ResponseOrNothing,
  ViewHooks,
} from './handler/types';
export { MiddlewareMixin } from './middleware/mixin';
export { CommonMiddleware, noAppendSlash } from './middleware/common';
export { SecurityMiddleware } from './middleware/security';
export {
  XFrameOptionsMiddleware,
  xframeOptionsDeny,
  xframeOptionsExempt,
  xframeOptionsSameorigin,
} from './middleware/x-frame-options';
export { ConditionalGetMiddleware } from './middleware/conditional-get';
export {
  condition,
  etag,
  lastModified,
  requireGET,
  requireHttpMethods,
  requirePOST,
  requireSafe,
  type ConditionOptions,
  type EtagFunction,
  type LastModifiedFunction,
} from './views/decorators';
export {
  conditionalResponse,
  httpDate,
  parseEtags,
  parseHttpDate,
  quoteEtag,
  type ResourceState,
} from './http/conditional';
export { GZipMiddleware } from './middleware/gzip';
export { patchVaryHeaders } from './http/vary';
export { AccessLogMiddleware, loggerOf } from './middleware/access-log';
export { TemplateResponse } from './templates/template-response';
export {
  TemplateEngines,
  type Template,
  type TemplateBackendParams,
  type TemplateBackendSetting,
  type TemplateContext,
  type TemplateEngine,
} from './templates/engine';
export { NunjucksTemplates } from './templates/nunjucks';
export { View, HTTP_METHOD_NAMES, type ClassBasedView } from './views/generic';
export { registerViewInspector, type ViewInspector } from './views/inspect';
export { viewChain, wraps, type ViewLike } from './views/wraps';
export { redirect, render, resolveUrl, type HasAbsoluteUrl } from './views/shortcuts';
export {
  MemorySessionStore,
  Session,
  SESSION_EXPIRY_KEY,
  SessionMiddleware,
  type SessionData,
  type SessionExpiryPolicy,
  type SessionStore,
} from './middleware/sessions';
export { SignedCookieSessionStore } from './middleware/sessions-signed-cookies';
export {
  CSRF_SESSION_KEY,
  CsrfViewMiddleware,
  CsrfReason,
  csrfExempt,
  getToken,
  rotateToken,
  type CsrfFailureView,
} from './middleware/csrf';
export { csrfProtect, ensureCsrfCookie, requiresCsrfToken } from './middleware/csrf-decorators';
export { decoratorFromMiddleware } from './middleware/decorator-from-middleware';
export { AnonymousUser, type AuthUser, type RequestUser } from './auth/users';
export { authenticate, type AuthBackend, type Credentials } from './auth/backends';
export { AuthenticationMiddleware } from './auth/middleware';
export { BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY } from './auth/session';
export { login, logout, updateSessionAuthHash } from './auth/login';
export { loginRequired, userPassesTest, type ViewDecorator } from './auth/decorators';
export {
  loginRedirectUrl,
  logoutRedirectUrl,
  REDIRECT_FIELD_NAME,
  redirectToLogin,
  type LoginRedirectOptions,
  type SuccessUrlOptions,
} from './auth/redirects';
export * as messages from './messages/api';
export { addMessage, getMessages, type AddMessageOptions, type MessageList } from './messages/api';
export { Message } from './messages/message';
export { BaseStorage, type Retrieved } from './messages/base-storage';
export { CookieStorage } from './messages/cookie-storage';
export { SessionStorage } from './messages/session-storage';
export { FallbackStorage } from './messages/fallback-storage';
export { MessageMiddleware, type MessageStorageClass } from './messages/middleware';
export { Signer, randomString } from './signing';
export { runChecks, type CheckMessage } from './checks';
