import type { LegacyMiddleware } from './types';

/** A hook bound to its instance, with the middleware's name for error messages. */
export interface BoundHook<F> {
  readonly owner: string;
  readonly run: F;
}

type Hook<K extends keyof LegacyMiddleware> = BoundHook<NonNullable<LegacyMiddleware[K]>>;

/**
 * Every hook of a loaded stack, each list already in the order it runs (Django's rule, the same in
 * both modes): request and view hooks in list order (A, B, C), template-response, response and
 * exception hooks in reverse list order (C, B, A). Collected once, when the stack loads.
 */
export interface StackHooks {
  /** `processRequest`, A, B, C (`MIDDLEWARE_CLASSES` only; the onion's layers run their own). */
  readonly request: Hook<'processRequest'>[];
  /** `processView`, A, B, C. */
  readonly view: Hook<'processView'>[];
  /** `processTemplateResponse`, C, B, A. */
  readonly templateResponse: Hook<'processTemplateResponse'>[];
  /** `processResponse`, C, B, A (`MIDDLEWARE_CLASSES` only). */
  readonly response: Hook<'processResponse'>[];
  /** `processException`, C, B, A. */
  readonly exception: Hook<'processException'>[];
}

/** A loaded middleware instance and the name its hooks report in error messages. */
export interface StackMember {
  readonly owner: string;
  readonly instance: LegacyMiddleware;
}

/** Empty hook lists, to be filled by {@link collectHooks} once the stack is loaded. */
export function emptyHooks(): StackHooks {
  return { request: [], view: [], templateResponse: [], response: [], exception: [] };
}

/**
 * Fills `hooks` from the stack's members, given in list order (A, B, C). In `MIDDLEWARE` only the
 * view-level hooks are collected: the request and response phases are the layers themselves.
 */
export function collectHooks(
  members: readonly StackMember[],
  hooks: StackHooks,
  phases: 'all' | 'view-level',
): void {
  for (const { owner, instance } of members) {
    if (phases === 'all') {
      bind(instance, 'processRequest', owner, hooks.request, IN_LIST_ORDER);
      bind(instance, 'processResponse', owner, hooks.response, IN_REVERSE_ORDER);
    }
    bind(instance, 'processView', owner, hooks.view, IN_LIST_ORDER);
    bind(instance, 'processTemplateResponse', owner, hooks.templateResponse, IN_REVERSE_ORDER);
    bind(instance, 'processException', owner, hooks.exception, IN_REVERSE_ORDER);
  }
}

const IN_LIST_ORDER = false;
const IN_REVERSE_ORDER = true;

function bind<K extends keyof LegacyMiddleware>(
  instance: LegacyMiddleware,
  name: K,
  owner: string,
  into: Hook<K>[],
  reversed: boolean,
): void {
  const method = instance[name];
  if (typeof method !== 'function') return;
  const hook = { owner, run: method.bind(instance) as Hook<K>['run'] };
  if (reversed) into.unshift(hook);
  else into.push(hook);
}
