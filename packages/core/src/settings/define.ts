import type { KnownSettings, Settings } from './types';

/**
 * Types a settings object (and nothing else): `export default defineSettings({ ... })`. A name one
 * edit away from a setting Manouche knows (`DEBUGG`, `ALLOWED_HOST`, `MIDDELWARE`) does not compile,
 * and the error names the setting meant: `"Unknown setting DEBUGG; did you mean DEBUG?"`. Other
 * names are your own settings, as in Django.
 */
export function defineSettings<T extends Settings>(settings: T & MisspelledSettings<T>): T {
  return settings;
}

/**
 * Whether `A` becomes `B` by one inserted, deleted or replaced character, or two neighbours swapped
 * (or is `B`).
 */
type WithinOneEdit<A extends string, B extends string> = A extends `${infer FirstA}${infer RestA}`
  ? B extends `${infer FirstB}${infer RestB}`
    ? FirstA extends FirstB
      ? WithinOneEdit<RestA, RestB>
      : RestA extends RestB
        ? true
        : RestA extends B
          ? true
          : A extends RestB
            ? true
            : RestA extends `${FirstB}${infer TailA}`
              ? RestB extends `${FirstA}${TailA}`
                ? true
                : false
              : false
    : RestA extends ''
      ? true
      : false
  : B extends `${string}${infer RestB}`
    ? RestB extends ''
      ? true
      : false
    : true;

/** The known settings `Name` is one edit away from (`never` for a known name or a name of your own). */
type SettingMeant<Name extends string> = Name extends keyof KnownSettings
  ? never
  : {
      [Known in keyof KnownSettings & string]: WithinOneEdit<Name, Known> extends true ? Known : never;
    }[keyof KnownSettings & string];

/**
 * Each misspelled setting of `T`, typed as an object whose only key is the error message: no value
 * can be one, and the compiler's error quotes the key.
 */
type MisspelledSettings<T> = {
  [
    Name in keyof T as Name extends string ? (SettingMeant<Name> extends never ? never : Name) : never
  ]: Name extends string
    ? { [Message in `Unknown setting ${Name}; did you mean ${SettingMeant<Name>}?`]: never }
    : never;
};
