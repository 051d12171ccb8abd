import { ImproperlyConfigured } from '../exceptions';

/**
 * A Django path converter: the regex a URL part must match, how it becomes a value for the view, and
 * how a value goes back into a URL for `reverse()`. `toJs` may throw to reject a match.
 */
export interface PathConverter<T = unknown> {
  readonly regex: string;
  toJs(value: string): T;
  toUrl(value: T): string;
}

const identity: Pick<PathConverter<string>, 'toJs' | 'toUrl'> = {
  toJs: (value) => value,
  toUrl: (value) => String(value),
};

const converters = new Map<string, PathConverter>([
  ['str', { regex: '[^/]+', ...identity }],
  [
    'int',
    {
      regex: '[0-9]+',
      // Past 2^53 a number can't hold the digits exactly: no match (404) rather than a different id.
      toJs: (value: string) => {
        const number = Number(value);
        if (!Number.isSafeInteger(number)) throw new RangeError(`${value} is too large for an int parameter`);
        return number;
      },
      toUrl: (value: unknown) => String(value),
    },
  ],
  ['slug', { regex: '[-a-zA-Z0-9_]+', ...identity }],
  ['uuid', { regex: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', ...identity }],
  // Django's `.+`: in Python `.` is anything but a newline; in JavaScript it also misses \r, U+2028 and U+2029.
  ['path', { regex: '[^\\n]+', ...identity }],
]);

/** Makes `<name:param>` available in Django-syntax routes (Django's `register_converter`). */
export function registerConverter<T>(name: string, converter: PathConverter<T>): void {
  if (converters.has(name))
    throw new ImproperlyConfigured(`Converter ${JSON.stringify(name)} is already registered`);
  converters.set(name, converter as PathConverter);
}

/** The converter registered under `name`. */
export function getConverter(name: string, route: string): PathConverter {
  const converter = converters.get(name);
  if (!converter) {
    throw new ImproperlyConfigured(
      `URL route ${JSON.stringify(route)} uses invalid converter ${JSON.stringify(name)} (known: ${[...converters.keys()].join(', ')})`,
    );
  }
  return converter;
}
