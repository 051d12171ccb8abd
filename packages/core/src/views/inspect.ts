import type { View } from '../urls/patterns';

/** Reads whatever a package needs to know about a view, once, when a URL conf is loaded. */
export type ViewInspector = (view: View) => void;

const inspectors: ViewInspector[] = [];

/**
 * Registers `inspector` to run for every view of every URL conf at `createApp` (the WebSocket package
 * reads its decorators' metadata this way, so nothing is looked up per request).
 */
export function registerViewInspector(inspector: ViewInspector): void {
  if (!inspectors.includes(inspector)) inspectors.push(inspector);
}

/** Runs every registered inspector over `views`. */
export function inspectViews(views: Iterable<View>): void {
  for (const view of views) for (const inspector of inspectors) inspector(view);
}
