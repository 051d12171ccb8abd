import type { MiddlewareMixin, Settings } from '@manouche/core';

/** Both of Django's stacks: a middleware written with MiddlewareMixin is tested in each. */
export const STACKS = ['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const;
export type Stack = (typeof STACKS)[number];

/** Settings that install `middleware` (MiddlewareMixin subclasses) in the `stack` list. */
export function inStack(stack: Stack, ...middleware: Array<typeof MiddlewareMixin>): Partial<Settings> {
  return stack === 'MIDDLEWARE' ? { MIDDLEWARE: middleware } : { MIDDLEWARE_CLASSES: middleware };
}
