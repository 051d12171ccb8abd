/**
 * The parameters a route gives its view, computed from the route string at compile time, so that
 * `path('posts/<int:id>/', (request, { id }) => ...)` types `id` as a `number`. Types only: the
 * matching itself is `route.ts`'s.
 */

/**
 * What each Django path converter gives the view. Add your own converter's type by augmenting it
 * next to `registerConverter()`:
 *
 * ```ts
 * declare module '@manouche/core' {
 *   interface PathConverterTypes {
 *     year: number;
 *   }
 * }
 * ```
 *
 * A converter missing here gives `unknown`.
 */
export interface PathConverterTypes {
  str: string;
  int: number;
  slug: string;
  uuid: string;
  path: string;
}

/** Flattens an intersection into one object type, for readable hover text and errors. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** `<int:id>` -> `{ id: number }`; `<name>` -> `{ name: string }` (Django's default `str`). */
type DjangoParam<Inside extends string> = Inside extends `${infer Converter}:${infer Name}`
  ? { [K in Name]: Converter extends keyof PathConverterTypes ? PathConverterTypes[Converter] : unknown }
  : { [K in Inside]: string };

type DjangoParams<
  Route extends string,
  Found = unknown,
> = Route extends `${string}<${infer Inside}>${infer Rest}`
  ? DjangoParams<Rest, Found & DjangoParam<Inside>>
  : Found;

type IdentifierChar =
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'e'
  | 'f'
  | 'g'
  | 'h'
  | 'i'
  | 'j'
  | 'k'
  | 'l'
  | 'm'
  | 'n'
  | 'o'
  | 'p'
  | 'q'
  | 'r'
  | 's'
  | 't'
  | 'u'
  | 'v'
  | 'w'
  | 'x'
  | 'y'
  | 'z'
  | 'A'
  | 'B'
  | 'C'
  | 'D'
  | 'E'
  | 'F'
  | 'G'
  | 'H'
  | 'I'
  | 'J'
  | 'K'
  | 'L'
  | 'M'
  | 'N'
  | 'O'
  | 'P'
  | 'Q'
  | 'R'
  | 'S'
  | 'T'
  | 'U'
  | 'V'
  | 'W'
  | 'X'
  | 'Y'
  | 'Z'
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '_'
  | '$';

/** The parameter name at the start of `S` (`"quoted name"` or an identifier) and what follows it. */
type TakeName<S extends string> = S extends `"${infer Quoted}"${infer Rest}`
  ? [Quoted, Rest]
  : TakeIdentifier<S, ''>;

type TakeIdentifier<S extends string, Name extends string> = S extends `${infer C}${infer Rest}`
  ? C extends IdentifierChar
    ? TakeIdentifier<Rest, `${Name}${C}`>
    : [Name, S]
  : [Name, S];

/**
 * path-to-regexp syntax, read a character at a time: `:name` and `*name` give strings, required
 * outside braces and optional inside `{...}`; `\` escapes the next character.
 */
type PathToRegexpParams<
  S extends string,
  Depth extends readonly 0[] = [],
  Found = unknown,
> = S extends `${infer C}${infer Rest}`
  ? C extends '\\'
    ? Rest extends `${string}${infer AfterEscaped}`
      ? PathToRegexpParams<AfterEscaped, Depth, Found>
      : Found
    : C extends '{'
      ? PathToRegexpParams<Rest, [...Depth, 0], Found>
      : C extends '}'
        ? PathToRegexpParams<Rest, Depth extends readonly [0, ...infer Outer extends 0[]] ? Outer : [], Found>
        : C extends ':' | '*'
          ? TakeName<Rest> extends [infer Name extends string, infer After extends string]
            ? PathToRegexpParams<
                After,
                Depth,
                Found & (Depth extends [] ? { [K in Name]: string } : { [K in Name]?: string })
              >
            : Found
          : PathToRegexpParams<Rest, Depth, Found>
  : Found;

/**
 * The parameters of `Route` as its view receives them: `posts/<int:id>/` gives `{ id: number }`,
 * `<slug:s>/` `{ s: string }`, `/posts/:name{/:page}` `{ name: string; page?: string }`. A route
 * that is only known as a `string` gives `Record<string, unknown>`.
 */
export type RouteParams<Route extends string> = string extends Route
  ? Record<string, unknown>
  : Simplify<Route extends `/${string}` ? PathToRegexpParams<Route> : DjangoParams<Route>>;
