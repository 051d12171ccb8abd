import { MessageFailure } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { DEBUG, ERROR, INFO, SUCCESS, WARNING } from './levels';
import type { Message } from './message';
import { storageOf } from './middleware';

// Django's django.contrib.messages API. Imported as a namespace (`import { messages } from
// '@manouche/core'`), it reads as in Django: `messages.success(request, 'Saved.')`, `messages.INFO`.

export { DEBUG, DEFAULT_LEVELS, DEFAULT_TAGS, ERROR, INFO, SUCCESS, WARNING } from './levels';

/** Options of {@link addMessage}. */
export interface AddMessageOptions {
  /** Drop the message, rather than throw `MessageFailure`, when `MessageMiddleware` is not installed. */
  failSilently?: boolean;
}

/** What {@link getMessages} returns: iterate it to show (and consume) the messages. */
export interface MessageList extends Iterable<Message> {
  /** How many messages there are, without consuming them (`{% if messages.length %}`). */
  readonly length: number;
}

const NO_MESSAGES: MessageList = Object.freeze([]);

/**
 * Django's `add_message()`: records a message for this request or the next one shown. Ignored when
 * the text is empty or the level below `MESSAGE_LEVEL`. Without `MessageMiddleware`, throws
 * `MessageFailure` (unless `failSilently`).
 */
export function addMessage(
  request: HttpRequest,
  level: number,
  message: string,
  extraTags = '',
  options: AddMessageOptions = {},
): void {
  const storage = storageOf(request);
  if (storage === undefined) {
    if (options.failSilently) return;
    throw new MessageFailure(
      'You cannot add messages without installing MessageMiddleware (in MIDDLEWARE or MIDDLEWARE_CLASSES)',
    );
  }
  storage.add(level, message, extraTags);
}

/**
 * Django's `get_messages()`: the request's messages (kept from before, then added now). Iterating
 * marks them read, so they are not shown again; without iterating, they wait for the next request.
 * Empty without `MessageMiddleware`.
 */
export function getMessages(request: HttpRequest): MessageList {
  return storageOf(request) ?? NO_MESSAGES;
}

/** Django's `get_level()`: the lowest level recorded for this request. */
export function getLevel(request: HttpRequest): number {
  return storageOf(request)?.level ?? request.app?.settings.MESSAGE_LEVEL ?? INFO;
}

/**
 * Django's `set_level()`: the lowest level recorded for the rest of this request (`null`: back to
 * `MESSAGE_LEVEL`). False, and nothing changes, without `MessageMiddleware`.
 */
export function setLevel(request: HttpRequest, level: number | null): boolean {
  const storage = storageOf(request);
  if (storage === undefined) return false;
  storage.level = level;
  return true;
}

/** A `DEBUG` message (not recorded at the default `MESSAGE_LEVEL`, `INFO`). */
export function debug(
  request: HttpRequest,
  message: string,
  extraTags = '',
  options?: AddMessageOptions,
): void {
  addMessage(request, DEBUG, message, extraTags, options);
}

/** An `INFO` message. */
export function info(
  request: HttpRequest,
  message: string,
  extraTags = '',
  options?: AddMessageOptions,
): void {
  addMessage(request, INFO, message, extraTags, options);
}

/** A `SUCCESS` message. */
export function success(
  request: HttpRequest,
  message: string,
  extraTags = '',
  options?: AddMessageOptions,
): void {
  addMessage(request, SUCCESS, message, extraTags, options);
}

/** A `WARNING` message. */
export function warning(
  request: HttpRequest,
  message: string,
  extraTags = '',
  options?: AddMessageOptions,
): void {
  addMessage(request, WARNING, message, extraTags, options);
}

/** An `ERROR` message. */
export function error(
  request: HttpRequest,
  message: string,
  extraTags = '',
  options?: AddMessageOptions,
): void {
  addMessage(request, ERROR, message, extraTags, options);
}
