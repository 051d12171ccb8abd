/**
 * The settings, in one place for every reader: their types (`settings/types.ts`), `defineSettings`
 * (`settings/define.ts`), the table of checks and defaults (`settings/table.ts`) and the resolution
 * `createApp` runs (`settings/resolve.ts`). It stays the one module the rest of the code imports, and
 * the one the areas that declare their own settings augment (`declare module '../settings'`).
 */
export type { Settings } from './settings/types';
export { defineSettings } from './settings/define';
export { authBackendName, KNOWN_SETTINGS, type ResolvedSettings } from './settings/table';
export { resolveSettings } from './settings/resolve';
