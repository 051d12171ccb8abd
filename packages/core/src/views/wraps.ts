/** Where {@link wraps} keeps the view a wrapper wraps (Python's `__wrapped__`). */
const WRAPPED = Symbol.for('manouche.wrapped');

/** How deep {@link viewChain} follows wrappers: far more than real code nests, and no endless loop. */
const MAX_DEPTH = 64;

/** Any function: views, and the looser functions view decorators take (a WebSocket view may return nothing). */
export type ViewLike = (...args: never[]) => unknown;

type Wrapping = { [WRAPPED]?: ViewLike };

/**
 * Python's `functools.wraps` for views: `wraps(view)(wrapper)` gives `wrapper` the name and the own
 * properties of `view` (a class-based view's `viewClass`, `csrfExempt`'s mark...) and remembers
 * `view`, so what decorators recorded about it stays visible through the wrapper. Use it in your own
 * view decorators, as core's `loginRequired` does: `loginRequired(acceptWebsocket(chat))` is then
 * still a WebSocket view.
 *
 * ```ts
 * function ajaxOnly<V extends View>(view: V): V {
 *   return wraps(view)(((request, params) =>
 *     request.headers.get('x-requested-with') === 'XMLHttpRequest'
 *       ? view(request, params)
 *       : new HttpResponseBadRequest()) as V);
 * }
 * ```
 */
export function wraps(wrapped: ViewLike): <W extends ViewLike>(wrapper: W) => W {
  return (wrapper) => {
    Object.assign(wrapper, wrapped);
    Object.defineProperty(wrapper, 'name', { value: wrapped.name, configurable: true });
    // Not enumerable: a wrapper of this wrapper copies the properties, not this link.
    Object.defineProperty(wrapper, WRAPPED, { value: wrapped, configurable: true });
    return wrapper;
  };
}

/** `view`, then the view it wraps (see {@link wraps}), and so on to the innermost. */
export function* viewChain(view: ViewLike): Generator<ViewLike> {
  let current: ViewLike | undefined = view;
  for (let depth = 0; current !== undefined && depth < MAX_DEPTH; depth++) {
    yield current;
    current = (current as Wrapping)[WRAPPED];
  }
}
