import 'reflect-metadata';
import {
  escapeForLog,
  HttpResponseBadRequest,
  loggerOf,
  registerViewInspector,
  viewChain,
  wraps,
  type HttpRequest,
  type HttpResponse,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { WEBSOCKET_MODE_KEY } from './constants';
import { parseFallbackRequest, FALLBACK_TRANSPORTS, type FallbackTransport } from './fallback/protocol';
import { serveFallback } from './fallback/serve';
import { acceptHandshake } from './handshake';
import { serveConnection, serveConnectionInViewLayer } from './serve';

/** `accept`: plain HTTP and WebSocket on one URL; `require`: WebSocket only (plain HTTP gets 400). */
export type WebSocketMode = 'accept' | 'require';

/** Options of the decorators. */
export interface WebSocketViewOptions {
  /** Subprotocols the view speaks, in preference order. */
  protocols?: string[];
  /**
   * Transports that serve the same view to a client that can't open a WebSocket: `'sse'` (messages to
   * the client as Server-Sent Events) and `'longpoll'`; messages from the client come as POSTs.
   */
  fallback?: FallbackTransport[];
}

/** What the decorators record about a view. */
export interface WebSocketViewInfo {
  readonly mode: WebSocketMode;
  readonly protocols: readonly string[];
  /** The fallback transports offered (none when absent). */
  readonly fallback?: readonly FallbackTransport[];
}

/**
 * A view that may serve a WebSocket: like any view, but it may return nothing (dwebsocket style) when
 * it served a WebSocket; the connection then closes with 1000.
 */
export type WebSocketView<P extends ViewParams = ViewParams> = (
  request: HttpRequest,
  params: P,
) => HttpResponse | void | Promise<HttpResponse | void>;

/** What a wrapped view returns to the handler. */
type ViewResult = Promise<HttpResponse | null | undefined | void>;

/** Both a view wrapper and a method decorator. */
export interface WebSocketDecorator {
  <P extends ViewParams = ViewParams>(view: WebSocketView<P>): ViewFunction<P>;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

type AnyView = (
  this: unknown,
  request: HttpRequest,
  params: ViewParams,
) => HttpResponse | void | Promise<HttpResponse | void>;

/** Views' WebSocket modes, read once when a URL conf is loaded (see `registerViewInspector`). */
const viewModes = new WeakMap<object, WebSocketViewInfo>();

/** The WebSocket mode of a view in a loaded URL conf, or `undefined` for an ordinary view. */
export function websocketInfoOf(view: object): WebSocketViewInfo | undefined {
  return viewModes.get(view);
}

registerViewInspector((view) => {
  // A wrapper made with core's wraps() (loginRequired(acceptWebsocket(chat))) is a WebSocket view too:
  // the outer function runs first (and may answer without a handshake), the decorator's handshakes.
  for (const candidate of viewChain(view)) {
    const viewClass = (candidate as { viewClass?: { prototype: object } }).viewClass;
    const info: WebSocketViewInfo | undefined =
      Reflect.getOwnMetadata(WEBSOCKET_MODE_KEY, candidate) ??
      (viewClass ? Reflect.getMetadata(WEBSOCKET_MODE_KEY, viewClass.prototype, 'get') : undefined);
    if (info !== undefined) {
      viewModes.set(view, info);
      return;
    }
  }
});

/**
 * dwebsocket's `@accept_websocket`: the view answers plain HTTP as usual, and a WebSocket handshake
 * is accepted right before its body runs, with `request.websocket` set.
 *
 * ```ts
 * path('echo/', acceptWebsocket(async (request) => { ... }))
 * path('chat/', acceptWebsocket({ protocols: ['chat.v1'] })(chatView))
 * class Chat extends View { @acceptWebsocket() async get(request) { ... } }
 * ```
 */
export function acceptWebsocket<P extends ViewParams = ViewParams>(view: WebSocketView<P>): ViewFunction<P>;
export function acceptWebsocket(options?: WebSocketViewOptions): WebSocketDecorator;
export function acceptWebsocket(
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): PropertyDescriptor;
export function acceptWebsocket(...args: unknown[]): unknown {
  return applyMode('accept', args);
}

/**
 * dwebsocket's `@require_websocket`: like {@link acceptWebsocket}, but a plain HTTP request gets 400
 * with an empty body.
 */
export function requireWebsocket<P extends ViewParams = ViewParams>(view: WebSocketView<P>): ViewFunction<P>;
export function requireWebsocket(options?: WebSocketViewOptions): WebSocketDecorator;
export function requireWebsocket(
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): PropertyDescriptor;
export function requireWebsocket(...args: unknown[]): unknown {
  return applyMode('require', args);
}

function applyMode(mode: WebSocketMode, args: unknown[]): unknown {
  if (args.length === 3)
    return decorateMethod(
      { mode, protocols: [] },
      args[0] as object,
      args[1] as string | symbol,
      args[2] as PropertyDescriptor,
    );
  if (typeof args[0] === 'function') return wrapView({ mode, protocols: [] }, args[0] as AnyView);
  const options = (args[0] ?? {}) as WebSocketViewOptions;
  const info: WebSocketViewInfo = {
    mode,
    protocols: [...(options.protocols ?? [])],
    fallback: checkedFallback(mode, options.fallback ?? []),
  };
  const decorator = (...inner: unknown[]): unknown =>
    inner.length === 3
      ? decorateMethod(info, inner[0] as object, inner[1] as string | symbol, inner[2] as PropertyDescriptor)
      : wrapView(info, inner[0] as AnyView);
  return decorator;
}

function checkedFallback(mode: WebSocketMode, fallback: readonly string[]): FallbackTransport[] {
  for (const transport of fallback) {
    if (!FALLBACK_TRANSPORTS.includes(transport as FallbackTransport))
      throw new TypeError(
        `${mode}Websocket({ fallback }) takes ${FALLBACK_TRANSPORTS.map((name) => `'${name}'`).join(' and ')}; got ${JSON.stringify(transport)}`,
      );
  }
  return [...fallback] as FallbackTransport[];
}

function wrapView(
  info: WebSocketViewInfo,
  view: AnyView,
): (request: HttpRequest, params: ViewParams) => ViewResult {
  if (typeof view !== 'function')
    throw new TypeError(`${info.mode}Websocket() wraps a view function; got ${typeof view}`);
  const wrapped = function (this: unknown, request: HttpRequest, params: ViewParams): ViewResult {
    return runWebSocketView(info, request, () => view.call(this, request, params));
  };
  Reflect.defineMetadata(WEBSOCKET_MODE_KEY, info, wrapped);
  undecorated.set(wrapped, { info, view });
  return wraps(view)(wrapped);
}

function decorateMethod(
  info: WebSocketViewInfo,
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): PropertyDescriptor {
  const method = descriptor.value as AnyView;
  if (typeof method !== 'function')
    throw new TypeError(`@${info.mode}Websocket() decorates a method; ${String(propertyKey)} is not one`);
  Reflect.defineMetadata(WEBSOCKET_MODE_KEY, info, target, propertyKey);
  descriptor.value = function (this: unknown, request: HttpRequest, params: ViewParams): ViewResult {
    return runWebSocketView(info, request, () => method.call(this, request, params));
  };
  return descriptor;
}

/** What each view function made by the decorators wraps, and how: for the view layer to run it directly. */
const undecorated = new WeakMap<object, { info: WebSocketViewInfo; view: AnyView }>();

/**
 * The decorated view function `view` is, unwrapped (`null` if it is not one): run through
 * {@link runWebSocketView} with `inViewLayer`, nothing stands between the view layer and its answer.
 */
export function undecoratedView(view: object): { info: WebSocketViewInfo; view: AnyView } | null {
  return undecorated.get(view) ?? null;
}

/**
 * Plain HTTP runs the view (or gets 400 under `require`); a handshake is accepted, then the body runs.
 * `inViewLayer`: the caller is the handler's view layer itself (the WebSocket middleware's runner), which
 * then closes the connection when the body ends, instead of a reaction of this function's own.
 */
export function runWebSocketView(
  info: WebSocketViewInfo,
  request: HttpRequest,
  body: () => HttpResponse | void | Promise<HttpResponse | void>,
  inViewLayer = false,
): ViewResult {
  // Not an async function: what it returns for a WebSocket is the connection's own promise, which
  // stays pending as long as the connection lives; an async wrapper would add a frame to each.
  try {
    return acceptThenServe(info, request, body, inViewLayer);
  } catch (error) {
    return Promise.reject(error);
  }
}

function acceptThenServe(
  info: WebSocketViewInfo,
  request: HttpRequest,
  body: () => HttpResponse | void | Promise<HttpResponse | void>,
  inViewLayer: boolean,
): ViewResult {
  if (request.websocket !== null) return Promise.resolve(body()); // already accepted by whoever serves it
  if (info.fallback !== undefined && info.fallback.length > 0 && !request.isWebsocket()) {
    const asked = parseFallbackRequest(request, info.fallback);
    if (asked !== null) return serveFallback(request, asked, info.protocols, body);
  }
  if (!request.isWebsocket()) {
    if (info.mode === 'require') {
      loggerOf(request).warn(
        `Bad Request: ${escapeForLog(request.path)} requires a WebSocket; a plain ${escapeForLog(request.method)} request got 400`,
      );
      return Promise.resolve(new HttpResponseBadRequest());
    }
    return Promise.resolve(body());
  }
  const refused: HttpResponse | null = acceptHandshake(request, info.protocols);
  if (refused !== null) return Promise.resolve(refused);
  return inViewLayer
    ? (serveConnectionInViewLayer(request, body) as ViewResult)
    : serveConnection(request, body);
}
