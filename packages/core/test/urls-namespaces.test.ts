import {
  createApp,
  HttpResponse,
  include,
  NoReverseMatch,
  path,
  redirect,
  reverse,
  reverseLazy,
  type HttpRequest,
  type UrlConfModule,
} from '@manouche/core';
import { Client } from '@manouche/testing';

/** Django's tutorial: one polls application, deployed more than once. */
const polls: UrlConfModule = {
  appName: 'polls',
  urlpatterns: [
    path(
      '',
      (request) => new HttpResponse(reverse('polls:detail', { pk: 1 }, { currentApp: currentApp(request) })),
      {
        name: 'index',
      },
    ),
    path('<int:pk>/', () => new HttpResponse('detail'), { name: 'detail' }),
  ],
};

function currentApp(request: HttpRequest): string | null {
  return request.resolverMatch?.namespace ?? null;
}

describe('application namespaces (include() with appName)', () => {
  const two = () =>
    createApp({
      ROOT_URLCONF: [
        include('author-polls/', polls, { namespace: 'author-polls' }),
        include('publisher-polls/', polls, { namespace: 'publisher-polls' }),
      ],
    });

  it('reverse("polls:index") with currentApp picks that instance', () => {
    const app = two();
    expect(app.reverse('polls:index', {}, { currentApp: 'author-polls' })).toBe('/author-polls/');
    expect(app.reverse('polls:index', {}, { currentApp: 'publisher-polls' })).toBe('/publisher-polls/');
  });

  it('without currentApp and without a default instance, the last deployed instance wins', () => {
    expect(two().reverse('polls:index')).toBe('/publisher-polls/');
  });

  it('a currentApp that is not an instance of the application is ignored', () => {
    expect(two().reverse('polls:index', {}, { currentApp: 'elsewhere' })).toBe('/publisher-polls/');
  });

  it('the default instance (namespace equal to the application name) wins over the last deployed', () => {
    const app = createApp({
      ROOT_URLCONF: [
        include('polls/', polls),
        include('author-polls/', polls, { namespace: 'author-polls' }),
      ],
    });
    expect(app.reverse('polls:index')).toBe('/polls/');
    expect(app.reverse('polls:index', {}, { currentApp: 'author-polls' })).toBe('/author-polls/');
  });

  it('an instance namespace reverses its own instance whatever currentApp says', () => {
    expect(two().reverse('author-polls:index', {}, { currentApp: 'publisher-polls' })).toBe('/author-polls/');
  });

  it('include() of a module takes its appName as the namespace too (Django app_name)', () => {
    const app = createApp({ ROOT_URLCONF: [include('polls/', polls)] });
    expect(app.reverse('polls:detail', { pk: 4 })).toBe('/polls/4/');
    expect(app.resolver.resolve('/polls/4/')).toMatchObject({
      namespace: 'polls',
      appName: 'polls',
      viewName: 'polls:detail',
    });
  });

  it('resolverMatch keeps the instance namespace and the application namespace apart', async () => {
    const app = two();
    const match = app.resolver.resolve('/author-polls/3/');
    expect(match).toMatchObject({
      urlName: 'detail',
      namespace: 'author-polls',
      namespaces: ['author-polls'],
      appName: 'polls',
      appNames: ['polls'],
      viewName: 'author-polls:detail',
    });
  });

  it('a view passing resolverMatch.namespace as currentApp links inside its own instance', async () => {
    const client = new Client(two());
    expect((await client.get('/author-polls/')).text).toBe('/author-polls/1/');
    expect((await client.get('/publisher-polls/')).text).toBe('/publisher-polls/1/');
  });

  it('nested namespaces pick an instance at every level', () => {
    const app = createApp({
      ROOT_URLCONF: [
        include(
          'site/',
          [include('a/', polls, { namespace: 'a' }), include('b/', polls, { namespace: 'b' })],
          {
            namespace: 'site',
          },
        ),
      ],
    });
    expect(app.reverse('site:polls:index')).toBe('/site/b/');
    expect(app.reverse('site:polls:index', {}, { currentApp: 'site:a' })).toBe('/site/a/');
  });

  it('an unknown namespace is NoReverseMatch naming it', () => {
    expect(() => two().reverse('nope:index')).toThrow(
      new NoReverseMatch("'nope' is not a registered namespace"),
    );
    expect(() => two().reverse('polls:nope:index')).toThrow(
      new NoReverseMatch("'nope' is not a registered namespace inside 'publisher-polls'"),
    );
  });
});

describe('reverseLazy()', () => {
  it('is written before any application exists and reversed when used', () => {
    const lazy = reverseLazy('polls:detail', { pk: 2 });
    createApp({ ROOT_URLCONF: [include('polls/', polls)] });
    expect(String(lazy)).toBe('/polls/2/');
    expect(`${lazy}`).toBe('/polls/2/');
    expect(JSON.stringify({ url: lazy })).toBe('{"url":"/polls/2/"}');
  });

  it('redirect() takes it as it takes a model', () => {
    const lazy = reverseLazy('polls:index');
    createApp({ ROOT_URLCONF: [include('polls/', polls)] });
    expect(redirect(lazy).headers.get('Location')).toBe('/polls/');
  });
});
