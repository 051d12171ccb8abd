/** Django's message levels: a message below `MESSAGE_LEVEL` (default `INFO`) is not recorded. */
export const DEBUG = 10;
export const INFO = 20;
export const SUCCESS = 25;
export const WARNING = 30;
export const ERROR = 40;

/** Django's `DEFAULT_LEVELS`, by name (what templates compare `message.level` with). */
export const DEFAULT_LEVELS: Readonly<Record<'DEBUG' | 'INFO' | 'SUCCESS' | 'WARNING' | 'ERROR', number>> =
  Object.freeze({ DEBUG, INFO, SUCCESS, WARNING, ERROR });

/** Django's `DEFAULT_TAGS`: the CSS class of each level; `MESSAGE_TAGS` changes or adds some. */
export const DEFAULT_TAGS: Readonly<Record<number, string>> = Object.freeze({
  [DEBUG]: 'debug',
  [INFO]: 'info',
  [SUCCESS]: 'success',
  [WARNING]: 'warning',
  [ERROR]: 'error',
});
