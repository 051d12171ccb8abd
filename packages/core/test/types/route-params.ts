// Compile-time tests: `npm run typecheck` compiles this file (jest does not run it). Each
// `@ts-expect-error` is a case that must stay an error: when it stops being one, tsc reports the
// unused directive.
import { acceptWebsocket, WebSocketMiddleware } from '@manouche/websocket';
import {
  createApp,
  defineSettings,
  HttpResponse,
  JsonResponse,
  path,
  View,
  type HttpRequest,
  type RouteParams,
  type ViewParams,
} from '@manouche/core';

/** True when `A` and `B` are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(_proof?: T): void {}

// Django syntax: int gives a number, every other converter a string, <name> a string.
expectTrue<Equal<RouteParams<'posts/<int:id>/'>, { id: number }>>();
expectTrue<Equal<RouteParams<'<slug:s>/'>, { s: string }>>();
expectTrue<
  Equal<RouteParams<'blog/<str:blog>/<uuid:key>/<path:rest>'>, { blog: string; key: string; rest: string }>
>();
expectTrue<Equal<RouteParams<'users/<name>/'>, { name: string }>>();
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a route without parameters gives exactly {}
expectTrue<Equal<RouteParams<'about/'>, {}>>();
// A converter registered without a declared type gives unknown.
expectTrue<Equal<RouteParams<'<year:y>/'>, { y: unknown }>>();

// path-to-regexp syntax: parameters and wildcards give strings, optional inside braces.
expectTrue<Equal<RouteParams<'/posts/:name'>, { name: string }>>();
expectTrue<Equal<RouteParams<'/posts/:id{/:slug}'>, { id: string; slug?: string }>>();
expectTrue<Equal<RouteParams<'/files/*rest'>, { rest: string }>>();
expectTrue<Equal<RouteParams<'/a/:x-:y.json'>, { x: string; y: string }>>();
expectTrue<Equal<RouteParams<'/q/:"quoted name"'>, { 'quoted name': string }>>();
expectTrue<Equal<RouteParams<'/escaped\\:not/:real'>, { real: string }>>();

// A route known only as a string gives the untyped parameters.
expectTrue<Equal<RouteParams<string>, Record<string, unknown>>>();

// In path(), the view's parameters come from the route.
path('posts/<int:id>/', (_request, { id }) => {
  expectTrue<Equal<typeof id, number>>();
  return new JsonResponse({ id });
});
path('<slug:s>/', (_request, { s }) => {
  expectTrue<Equal<typeof s, string>>();
  return new HttpResponse(s);
});
path('/posts/:name', (_request, { name }) => {
  expectTrue<Equal<typeof name, string>>();
  return new HttpResponse(name);
});

// A view whose parameters don't match its route does not compile.
// @ts-expect-error: the route has no `slug`
path('posts/<int:id>/', (_request, { slug }) => new HttpResponse(String(slug)));
// @ts-expect-error: `id` is a number, not a string
path('posts/<int:id>/', (_request: HttpRequest, params: { id: string }) => new HttpResponse(params.id));
function postBySlug(_request: HttpRequest, params: { slug: string }): HttpResponse {
  return new HttpResponse(params.slug);
}
// @ts-expect-error: a named view that wants `slug` on a route that gives `id`
path('posts/<int:id>/', postBySlug);
path('posts/<slug:slug>/', postBySlug);

// Views typed loosely, class-based views and views from a variable route still fit anywhere.
function anyParams(_request: HttpRequest, params: ViewParams): HttpResponse {
  return new HttpResponse(String(params.id));
}
class PostView extends View {}
const dynamicRoute: string = 'x/<int:id>/';
path('posts/<int:id>/', anyParams);
path('posts/<int:id>/', PostView.asView());
path(dynamicRoute, (_request, params) => new HttpResponse(String(params.id)));

// dwebsocket's shape: a view that serves the socket and returns nothing, decorated or (under
// WEBSOCKET_ACCEPT_ALL) not.
path('echo/', async (request) => {
  const socket = request.websocket;
  if (socket === null) return new HttpResponse('open me with a WebSocket');
  for await (const message of socket) await socket.send(message);
});
path(
  'rooms/<slug:room>/',
  acceptWebsocket(async (request, { room }) => {
    expectTrue<Equal<typeof room, string>>();
    await request.websocket?.send(room);
  }),
);
class Chat extends View {
  @acceptWebsocket()
  async get(request: HttpRequest): Promise<void> {
    await request.websocket?.send('hello');
  }
}
createApp(
  defineSettings({
    WEBSOCKET_ACCEPT_ALL: true,
    MIDDLEWARE: [WebSocketMiddleware],
    ROOT_URLCONF: [path('chat/', Chat.asView())],
  }),
);

// defineSettings(): a name one edit away from a known setting is refused, naming the setting meant.
defineSettings({ ROOT_URLCONF: [], DEBUG: true, SITE_NAME: 'your own setting' });
// @ts-expect-error: "Unknown setting DEBUGG; did you mean DEBUG?"
defineSettings({ ROOT_URLCONF: [], DEBUGG: true });
// @ts-expect-error: "Unknown setting ALLOWED_HOST; did you mean ALLOWED_HOSTS?"
defineSettings({ ROOT_URLCONF: [], ALLOWED_HOST: ['example.com'] });
// @ts-expect-error: "Unknown setting MIDDELWARE; did you mean MIDDLEWARE?"
defineSettings({ ROOT_URLCONF: [], MIDDELWARE: [] });
