/**
 * One message (Django's `Message`): shown in a template as `{{ message }}`, styled with
 * `{{ message.tags }}`.
 */
export class Message {
  /** `messages.INFO` (20)... */
  readonly level: number;
  /** The text. */
  readonly message: string;
  /** Your own classes, space-separated (`''` when none). */
  readonly extraTags: string;
  /** The level's class: `info`, `error`... (from `MESSAGE_TAGS` over the defaults), `''` for an unknown level. */
  readonly levelTag: string;

  constructor(level: number, message: string, extraTags = '', levelTag = '') {
    this.level = level;
    this.message = message;
    this.extraTags = extraTags;
    this.levelTag = levelTag;
  }

  /** `extraTags` then `levelTag`, space-separated: the `class` attribute of the message. */
  get tags(): string {
    return [this.extraTags, this.levelTag].filter((tag) => tag !== '').join(' ');
  }

  toString(): string {
    return this.message;
  }
}

/** A message as storages keep it: `[level, text]`, or `[level, text, extraTags]`. */
export type StoredMessage = [number, string] | [number, string, string];

/** The compact form kept in a cookie or a session. */
export function toStored(message: Message): StoredMessage {
  return message.extraTags === ''
    ? [message.level, message.message]
    : [message.level, message.message, message.extraTags];
}

/** Whether a value read back from a cookie or a session is a stored message (anything else is dropped). */
export function isStored(value: unknown): value is StoredMessage {
  return (
    Array.isArray(value) &&
    (value.length === 2 || value.length === 3) &&
    Number.isInteger(value[0]) &&
    typeof value[1] === 'string' &&
    (value.length === 2 || typeof value[2] === 'string')
  );
}
