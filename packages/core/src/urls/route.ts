import { parse as parsePathToRegexp, type Token } from 'path-to-regexp';
import { ImproperlyConfigured, NoReverseMatch } from '../exceptions';
import { getConverter, type PathConverter } from './converters';

/**
 * A route, whichever syntax it was written in, becomes a list of pieces: literal text, parameters
 * (with the converter that matches and converts them) and optional groups. Both the matching regex
 * and `reverse()` are built from the pieces, once, when the URL conf is loaded.
 */
export type RoutePiece =
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'param'; readonly name: string; readonly converter: PathConverter }
  | { readonly type: 'group'; readonly pieces: readonly RoutePiece[] };

/** Which syntax a route string is written in. */
export type RouteSyntax = 'django' | 'path-to-regexp';

export function syntaxOf(route: string): RouteSyntax {
  return route.startsWith('/') ? 'path-to-regexp' : 'django';
}

const DJANGO_PARAM = /<(?:([^>:]+):)?([^>]+)>/g;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `posts/<int:id>/` -> pieces. A bare `<name>` uses the `str` converter, as in Django. */
export function parseDjangoRoute(route: string): RoutePiece[] {
  const pieces: RoutePiece[] = [];
  let last = 0;
  for (const match of route.matchAll(DJANGO_PARAM)) {
    if (match.index > last) pieces.push({ type: 'text', value: route.slice(last, match.index) });
    const [, converterName = 'str', name = ''] = match;
    if (!IDENTIFIER.test(name)) {
      throw new ImproperlyConfigured(
        `URL route ${JSON.stringify(route)} uses parameter name ${JSON.stringify(name)}, which isn't a valid identifier`,
      );
    }
    pieces.push({ type: 'param', name, converter: getConverter(converterName, route) });
    last = match.index + match[0].length;
  }
  if (last < route.length) pieces.push({ type: 'text', value: route.slice(last) });
  const leftover = pieces.find((piece) => piece.type === 'text' && /[<>]/.test(piece.value));
  if (leftover) throw new ImproperlyConfigured(`URL route ${JSON.stringify(route)} has an unbalanced < or >`);
  return pieces;
}

// `reverse()` percent-encodes the whole path afterwards (see `quotePath`), so these give raw text.
const SEGMENT: PathConverter = {
  regex: '[^/]+',
  toJs: (value) => value,
  toUrl: (value) => String(value),
};

const WILDCARD: PathConverter = {
  regex: '.+',
  toJs: (value) => value,
  toUrl: (value) => String(value),
};

/** `/posts/:id{/:slug}` -> pieces, with path-to-regexp's own parser (and its errors). */
export function parsePathToRegexpRoute(route: string): RoutePiece[] {
  let tokens: readonly Token[];
  try {
    tokens = parsePathToRegexp(route).tokens;
  } catch (error) {
    throw new ImproperlyConfigured(
      `URL route ${JSON.stringify(route)} is not valid path-to-regexp syntax: ${(error as Error).message}`,
    );
  }
  const convert = (list: readonly Token[]): RoutePiece[] =>
    list.map((token): RoutePiece => {
      switch (token.type) {
        case 'text':
          return { type: 'text', value: token.value };
        case 'param':
          return { type: 'param', name: token.name, converter: SEGMENT };
        case 'wildcard':
          return { type: 'param', name: token.name, converter: WILDCARD };
        case 'group':
          return { type: 'group', pieces: convert(token.tokens) };
      }
    });
  return convert(tokens);
}

/** A parameter and the capture group that holds it. */
export interface CompiledParam {
  readonly name: string;
  readonly group: number;
  readonly converter: PathConverter;
}

/** The regex source for `pieces` and where each parameter's capture group is. */
export function compilePieces(pieces: readonly RoutePiece[]): { source: string; params: CompiledParam[] } {
  const params: CompiledParam[] = [];
  let group = 1;
  const emit = (list: readonly RoutePiece[]): string =>
    list
      .map((piece) => {
        if (piece.type === 'text') return escapeRegex(piece.value);
        if (piece.type === 'group') return `(?:${emit(piece.pieces)})?`;
        params.push({ name: piece.name, group, converter: piece.converter });
        group += 1 + countGroups(piece.converter.regex);
        return `(${piece.converter.regex})`;
      })
      .join('');
  return { source: emit(pieces), params };
}

/** Builds a URL path from `pieces`; optional groups whose parameters are missing are left out. */
export function reversePieces(pieces: readonly RoutePiece[], params: Record<string, unknown>): string {
  let url = '';
  for (const piece of pieces) {
    if (piece.type === 'text') {
      url += piece.value;
    } else if (piece.type === 'group') {
      try {
        url += reversePieces(piece.pieces, params);
      } catch (error) {
        if (!(error instanceof NoReverseMatch)) throw error;
      }
    } else {
      const value = params[piece.name];
      if (value === undefined || value === null)
        throw new NoReverseMatch(`missing parameter ${JSON.stringify(piece.name)}`);
      const text = piece.converter.toUrl(value);
      if (!new RegExp(`^(?:${piece.converter.regex})$`).test(text)) {
        throw new NoReverseMatch(
          `parameter ${JSON.stringify(piece.name)}=${JSON.stringify(text)} doesn't match ${piece.converter.regex}`,
        );
      }
      url += text;
    }
  }
  return url;
}

/**
 * Percent-encodes a reversed path as Django's `reverse()` does: parameters are checked against their
 * converter's regex unencoded (the resolver matches decoded paths), then everything but the RFC 3986
 * unreserved and sub-delimiter characters and `/:@` is escaped, so `?`, `#`, `%` and spaces in a
 * value can't change the URL's meaning.
 */
export function quotePath(path: string): string {
  return encodeURIComponent(path).replace(/%(?:2[46BCF]|3[ABD]|40)/g, (escape) => decodeURIComponent(escape));
}

/** Names of every parameter in `pieces`, optional ones included. */
export function paramNames(pieces: readonly RoutePiece[]): string[] {
  return pieces.flatMap((piece) =>
    piece.type === 'param' ? [piece.name] : piece.type === 'group' ? paramNames(piece.pieces) : [],
  );
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function countGroups(source: string): number {
  return new RegExp(`${source}|`).exec('')!.length - 1;
}

/** A `rePath()` pattern, ready to be appended to its prefix. */
export interface RegexRoute {
  /** The JavaScript regex source, without the leading `^` and the trailing `$`. */
  readonly source: string;
  /** The pattern ended with `$`: the whole rest of the path must match. */
  readonly anchored: boolean;
  /** Whether it has named groups (then its other groups are not parameters). */
  readonly named: boolean;
  /** The pattern as text and parameters, for `reverse()`; `null` when it is too rich to reverse. */
  readonly pieces: RoutePiece[] | null;
}

const PYTHON_NAMED_GROUP = /\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g;

/** Compiles a `rePath()` pattern once; an invalid expression is {@link ImproperlyConfigured}. */
export function parseRegexRoute(pattern: string): RegexRoute {
  let source = pattern.replace(PYTHON_NAMED_GROUP, '(?<$1>');
  if (source.startsWith('^')) source = source.slice(1);
  const anchored = /(^|[^\\])(\\\\)*\$$/.test(source);
  if (anchored) source = source.slice(0, -1);
  try {
    new RegExp(source);
  } catch (error) {
    throw new ImproperlyConfigured(
      `URL pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`,
    );
  }
  return { source, anchored, named: /\(\?<[A-Za-z_]/.test(source), pieces: reversiblePieces(source) };
}

const REGEX_SYNTAX = new Set(['.', '[', ']', '{', '}', '(', ')', '*', '+', '?', '|', '^', '$']);

/**
 * `source` as text and named groups when that is all it is (`articles/(?<year>[0-9]{4})/`), so that
 * `reverse()` can fill it in; `null` for anything richer (classes, quantifiers, alternation outside a
 * group), which Django's `reverse()` handles by enumerating and we do not.
 */
function reversiblePieces(source: string): RoutePiece[] | null {
  const pieces: RoutePiece[] = [];
  let text = '';
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    if (char === '\\') {
      const next = source[index + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null;
      text += next;
      index += 1;
      continue;
    }
    if (
      char === '(' &&
      source.startsWith('(?<', index) &&
      source[index + 3] !== '=' &&
      source[index + 3] !== '!'
    ) {
      const close = source.indexOf('>', index);
      const end = closingParen(source, index);
      if (close === -1 || end === -1) return null;
      if (text !== '') pieces.push({ type: 'text', value: text });
      text = '';
      const regex = source.slice(close + 1, end);
      pieces.push({ type: 'param', name: source.slice(index + 3, close), converter: regexConverter(regex) });
      index = end;
      continue;
    }
    if (REGEX_SYNTAX.has(char)) return null;
    text += char;
  }
  if (text !== '') pieces.push({ type: 'text', value: text });
  return pieces;
}

/** The index of the `)` that closes the group opened at `open`, or -1. */
function closingParen(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let index = open; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') index += 1;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(') depth += 1;
    else if (char === ')' && --depth === 0) return index;
  }
  return -1;
}

function regexConverter(regex: string): PathConverter {
  return { regex, toJs: (value) => value, toUrl: (value) => String(value) };
}
