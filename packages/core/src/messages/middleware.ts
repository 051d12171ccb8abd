import { escapeForLog } from '../log';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { loggerOf } from '../middleware/access-log';
import { MiddlewareMixin } from '../middleware/mixin';
import type { BaseStorage } from './base-storage';
import { FallbackStorage } from './fallback-storage';

/** A message storage class: made once per request, with the request. */
export type MessageStorageClass = new (request: HttpRequest) => BaseStorage;

declare module '../settings' {
  interface Settings {
    /** Where messages wait for the next request (default `FallbackStorage`: the cookie, then the session). */
    MESSAGE_STORAGE?: MessageStorageClass;
  }
}

// Kept on the request itself rather than in a WeakMap: a storage refers back to its request, and a
// WeakMap entry whose value holds its own key is an ephemeron cycle that cost the collector about
// 15 µs a request (measured; the plain property costs nothing of the kind).
const STORAGE = Symbol('manouche.messageStorage');
type WithStorage = HttpRequest & { [STORAGE]?: BaseStorage };

/** The request's message storage, or `undefined` when `MessageMiddleware` did not see the request. */
export function storageOf(request: HttpRequest): BaseStorage | undefined {
  return (request as WithStorage)[STORAGE];
}

/**
 * Django's `MessageMiddleware`: gives each request a `MESSAGE_STORAGE` (default `FallbackStorage`),
 * so views can add messages (`messages.success(request, 'Saved.')`) that the next page shows once,
 * and keeps the unread ones when the response goes out. Messages that could not be kept (over the
 * cookie's size, or past `MESSAGE_MAX_STORED`) are dropped, oldest first, with one warning line;
 * Django raises instead, with `DEBUG` only.
 */
export class MessageMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    const Storage = request.app?.settings.MESSAGE_STORAGE ?? FallbackStorage;
    (request as WithStorage)[STORAGE] = new Storage(request);
    return null;
  }

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    const storage = storageOf(request);
    if (storage === undefined) return response;
    const dropped = storage.update(response);
    if (dropped.length > 0) {
      loggerOf(request).warn(
        `Not all messages could be stored (${dropped.length} dropped, the oldest first): ${escapeForLog(request.path)}`,
      );
    }
    return response;
  }
}
