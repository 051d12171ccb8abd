import { MissingResponse } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { responseForException, type ConversionContext } from './convert';
import { isPromiseLike } from './promise';
import type { GetResponse, MaybePromise } from './types';

/** One layer of the stack as written: it may throw, reject or return nothing. */
export type Layer = (request: HttpRequest) => MaybePromise<HttpResponse | null | undefined>;

/** A layer that never throws and never rejects; synchronous whenever the layer answered so. */
export type SettledLayer = (request: HttpRequest) => MaybePromise<HttpResponse>;

/**
 * Promises made here: they never reject and always hold a response. A layer that hands back what
 * `getResponse` gave it (a pass-through, or `return getResponse(r)` after a request-phase check)
 * needs no second wrapping, so its wrapper returns the promise as is.
 */
const settledPromises = new WeakSet<Promise<HttpResponse>>();
// The promise made last: in a stack of pass-through layers each one returns exactly this, and the
// identity check spares a WeakSet lookup per layer.
let lastSettled: Promise<HttpResponse> | null = null;

function isSettled(result: PromiseLike<unknown>): result is Promise<HttpResponse> {
  return result === lastSettled || (result instanceof Promise && settledPromises.has(result));
}

function remember(promise: Promise<HttpResponse>): Promise<HttpResponse> {
  settledPromises.add(promise);
  lastSettled = promise;
  return promise;
}

// The promise made last from a response already in hand, and that response. When the whole stack
// hands back exactly this promise (pass-through layers do), the server writes the response at once
// instead of waiting a microtask for a value it already knows.
let lastResolved: Promise<HttpResponse> | null = null;
let lastResolvedResponse: HttpResponse | null = null;

function resolvedWith(response: HttpResponse): Promise<HttpResponse> {
  const promise = remember(Promise.resolve(response));
  lastResolved = promise;
  lastResolvedResponse = response;
  return promise;
}

/**
 * The response `promise` already holds, when it is the last one this module made from a response in
 * hand; else `null` (await it). Forgets the response, so it is not kept alive past its request.
 */
export function takeHeldResponse(promise: PromiseLike<HttpResponse>): HttpResponse | null {
  if (promise !== lastResolved) return null;
  const response = lastResolvedResponse;
  lastResolved = null;
  lastResolvedResponse = null;
  return response;
}

function settle(
  layer: Layer,
  owner: string,
  context: () => ConversionContext,
  alwaysPromise: boolean,
): SettledLayer {
  const missing = (response: unknown): MissingResponse =>
    new MissingResponse(
      `${owner} didn't return an HttpResponse object. It returned ${String(response)} instead.`,
    );
  // Promise chaining rather than async/await: this wrapper runs once per layer per request.
  return function settled(request) {
    let result: MaybePromise<HttpResponse | null | undefined>;
    try {
      result = layer(request);
    } catch (error) {
      const response = responseForException(request, error, context());
      return alwaysPromise ? resolvedWith(response) : response;
    }
    if (!isPromiseLike(result)) {
      const response = result ?? responseForException(request, missing(result), context());
      return alwaysPromise ? resolvedWith(response) : response;
    }
    if (isSettled(result)) return result;
    const convert = (error: unknown): HttpResponse => responseForException(request, error, context());
    return remember(
      Promise.resolve(result).then((response) => response ?? convert(missing(response)), convert),
    );
  };
}

/**
 * Wraps a layer so it always answers with a response, synchronously when the layer did: a throw (or
 * a rejected promise) becomes the converted response, and returning nothing is an error (500).
 */
export function settleLayer(layer: Layer, owner: string, context: () => ConversionContext): SettledLayer {
  return settle(layer, owner, context, false);
}

/**
 * As {@link settleLayer}, but always a promise: the `getResponse` handed to a `MIDDLEWARE` entry,
 * which API.md promises "always resolves to a response".
 */
export function convertExceptionToResponse(
  layer: Layer,
  owner: string,
  context: () => ConversionContext,
): GetResponse {
  return settle(layer, owner, context, true) as GetResponse;
}
