import {
  createApp,
  Http404,
  HttpResponse,
  ImproperlyConfigured,
  include,
  JsonResponse,
  NoReverseMatch,
  path,
  registerConverter,
  rePath,
  resolve,
  reverse,
  UrlResolver,
  type ResolverMatch,
  type UrlConf,
  type ViewFunction,
} from '@manouche/core';
import { Client } from '@manouche/testing';

/** A distinct view per label, so a test can tell which route matched. */
function view(label: string): ViewFunction {
  const named: ViewFunction = () => new HttpResponse(label);
  Object.defineProperty(named, 'label', { value: label });
  return named;
}

function labelOf(resolved: { view: ViewFunction } | null): string | null {
  return resolved === null ? null : (resolved.view as ViewFunction & { label: string }).label;
}

function resolves(
  urlconf: UrlConf,
  requestPath: string,
): { label: string | null; params: Record<string, unknown> } {
  const match = new UrlResolver(urlconf).match(requestPath);
  return { label: labelOf(match), params: match?.params ?? {} };
}

const silent = { info() {}, warn() {}, error() {} };

describe('Django syntax routes', () => {
  it('match the path without its leading slash, exactly (no implied trailing slash)', () => {
    const urls = [path('', view('home')), path('about/', view('about'))];
    expect(resolves(urls, '/').label).toBe('home');
    expect(resolves(urls, '/about/').label).toBe('about');
    expect(resolves(urls, '/about').label).toBeNull();
    expect(resolves(urls, '/about/x').label).toBeNull();
    expect(resolves(urls, '//about/').label).toBeNull();
  });

  it('treat regex characters in the route as literal text', () => {
    const urls = [path('feed.xml', view('feed')), path('a+b/(c)/', view('odd'))];
    expect(resolves(urls, '/feed.xml').label).toBe('feed');
    expect(resolves(urls, '/feedXxml').label).toBeNull();
    expect(resolves(urls, '/a+b/(c)/').label).toBe('odd');
    expect(resolves(urls, '/aab/c/').label).toBeNull();
  });

  describe('converters', () => {
    const urls = [
      path('str/<str:value>/', view('str')),
      path('bare/<value>/', view('bare')),
      path('int/<int:value>/', view('int')),
      path('slug/<slug:value>/', view('slug')),
      path('uuid/<uuid:value>/', view('uuid')),
      path('path/<path:value>', view('path')),
    ];

    it.each([
      ['/str/hello world/', 'str', 'hello world'],
      ['/bare/x.y/', 'bare', 'x.y'],
      ['/int/42/', 'int', 42],
      ['/int/007/', 'int', 7],
      ['/int/0/', 'int', 0],
      ['/int/9007199254740991/', 'int', Number.MAX_SAFE_INTEGER],
      ['/slug/a-slug_1/', 'slug', 'a-slug_1'],
      ['/uuid/075194d3-6885-417e-a8a8-6c931e272f00/', 'uuid', '075194d3-6885-417e-a8a8-6c931e272f00'],
      ['/path/a/b/c.txt', 'path', 'a/b/c.txt'],
      ['/path/a/', 'path', 'a/'],
      ['/path/line\u2028separator\rand return', 'path', 'line\u2028separator\rand return'],
    ])('%s matches %s and gives %p', (requestPath, label, value) => {
      expect(resolves(urls, requestPath)).toEqual({ label, params: { value } });
    });

    it('int gives a number; every other converter a string', () => {
      expect(typeof resolves(urls, '/int/5/').params.value).toBe('number');
      for (const requestPath of ['/str/5/', '/bare/5/', '/slug/5/', '/path/5']) {
        expect(typeof resolves(urls, requestPath).params.value).toBe('string');
      }
    });

    it.each([
      '/str/a/b/',
      '/str//',
      '/int/-1/',
      '/int/1.5/',
      '/int/x/',
      '/int//',
      '/int/9007199254740993/',
      '/int/99999999999999999999999/',
      '/slug/a.b/',
      '/slug/a b/',
      '/uuid/075194D3-6885-417E-A8A8-6C931E272F00/',
      '/uuid/not-a-uuid/',
      '/path/',
      '/path/a\nb',
    ])('%s matches no route', (requestPath) => {
      expect(resolves(urls, requestPath).label).toBeNull();
    });
  });
});

describe('path-to-regexp routes', () => {
  it('match the whole path, with an optional trailing slash', () => {
    const urls = [path('/', view('root')), path('/about', view('about'))];
    expect(resolves(urls, '/').label).toBe('root');
    expect(resolves(urls, '/about').label).toBe('about');
    expect(resolves(urls, '/about/').label).toBe('about');
    expect(resolves(urls, '/about//').label).toBeNull();
    expect(resolves(urls, '/aboutx').label).toBeNull();
  });

  it('give :name parameters as strings, one segment each', () => {
    const urls = [path('/users/:userId/posts/:postId', view('post'))];
    expect(resolves(urls, '/users/7/posts/hello')).toEqual({
      label: 'post',
      params: { userId: '7', postId: 'hello' },
    });
    expect(resolves(urls, '/users/7/posts/a/b').label).toBeNull();
    expect(resolves(urls, '/users//posts/x').label).toBeNull();
  });

  it('treat an optional group {/:x} as optional', () => {
    const urls = [path('/posts{/:slug}', view('posts')), path('/archive{/:year{/:month}}', view('archive'))];
    expect(resolves(urls, '/posts')).toEqual({ label: 'posts', params: {} });
    expect(resolves(urls, '/posts/')).toEqual({ label: 'posts', params: {} });
    expect(resolves(urls, '/posts/hello')).toEqual({ label: 'posts', params: { slug: 'hello' } });
    expect(resolves(urls, '/archive')).toEqual({ label: 'archive', params: {} });
    expect(resolves(urls, '/archive/2024')).toEqual({ label: 'archive', params: { year: '2024' } });
    expect(resolves(urls, '/archive/2024/05')).toEqual({
      label: 'archive',
      params: { year: '2024', month: '05' },
    });
    expect(resolves(urls, '/archive/2024/05/01').label).toBeNull();
  });

  it('give a wildcard *rest the rest of the path as one string', () => {
    const urls = [path('/files/*rest', view('files')), path('/docs{/*page}', view('docs'))];
    expect(resolves(urls, '/files/a/b/c.txt')).toEqual({ label: 'files', params: { rest: 'a/b/c.txt' } });
    expect(resolves(urls, '/files/one')).toEqual({ label: 'files', params: { rest: 'one' } });
    expect(resolves(urls, '/files/').label).toBeNull();
    expect(resolves(urls, '/docs')).toEqual({ label: 'docs', params: {} });
    expect(resolves(urls, '/docs/guide/intro')).toEqual({ label: 'docs', params: { page: 'guide/intro' } });
  });
});

describe('include()', () => {
  const leaf = (label: string): UrlConf => [path('<int:id>/', view(label))];

  it.each<[string, UrlConf, string, Record<string, unknown>, string]>([
    [
      'Django prefix, Django child',
      [include('blog/', [path('posts/<int:id>/', view('x'))])],
      '/blog/posts/1/',
      { id: 1 },
      'blog/posts/<int:id>/',
    ],
    [
      'Django prefix, p2r child',
      [include('blog/', [path('/posts/:slug', view('x'))])],
      '/blog/posts/hello',
      { slug: 'hello' },
      'blog/posts/:slug',
    ],
    [
      'p2r prefix, Django child',
      [include('/api', [path('items/<int:id>/', view('x'))])],
      '/api/items/3/',
      { id: 3 },
      '/api/items/<int:id>/',
    ],
    [
      'p2r prefix with a trailing slash, Django child',
      [include('/api/', [path('items/<int:id>/', view('x'))])],
      '/api/items/3/',
      { id: 3 },
      '/api/items/<int:id>/',
    ],
    [
      'p2r prefix, p2r child',
      [include('/api', [path('/users/:id', view('x'))])],
      '/api/users/7',
      { id: '7' },
      '/api/users/:id',
    ],
    [
      'p2r prefix with a trailing slash, p2r child',
      [include('/api/', [path('/users/:id', view('x'))])],
      '/api/users/7',
      { id: '7' },
      '/api/users/:id',
    ],
    [
      'a parameter in a p2r prefix and a Django child',
      [include('/users/:user', [path('posts/<int:id>/', view('x'))])],
      '/users/ada/posts/9/',
      { user: 'ada', id: 9 },
      '/users/:user/posts/<int:id>/',
    ],
    [
      'a converter in a Django prefix and a p2r child',
      [include('shop/<slug:shop>/', [path('/items/:item', view('x'))])],
      '/shop/corner-store/items/guitar',
      { shop: 'corner-store', item: 'guitar' },
      'shop/<slug:shop>/items/:item',
    ],
    [
      'three levels mixing both syntaxes',
      [include('v1/', [include('/admin', [include('users/', [path('/:id', view('x'))])])])],
      '/v1/admin/users/5',
      { id: '5' },
      'v1/admin/users/:id',
    ],
    ['an empty Django prefix', [include('', leaf('x'))], '/4/', { id: 4 }, '<int:id>/'],
  ])('nests %s', (_label, urls, requestPath, params, route) => {
    const match = new UrlResolver(urls).match(requestPath);
    expect(match).not.toBeNull();
    expect(match!.params).toEqual(params);
    expect(match!.route).toBe(route);
  });

  it('mounts an empty child route at the prefix itself, whichever the syntax', () => {
    expect(resolves([include('blog/', [path('', view('index'))])], '/blog/').label).toBe('index');
    expect(resolves([include('/api', [path('', view('index'))])], '/api').label).toBe('index');
    expect(resolves([include('/api', [path('/', view('index'))])], '/api/').label).toBe('index');
  });

  it('does not match a path outside the prefix', () => {
    const urls = [include('blog/', leaf('x'))];
    expect(resolves(urls, '/1/').label).toBeNull();
    expect(resolves(urls, '/blogx/1/').label).toBeNull();
  });
});

describe('reverse()', () => {
  const urls: UrlConf = [
    path('', view('home'), { name: 'home' }),
    path('posts/<int:id>/', view('post'), { name: 'post-detail' }),
    path('tags/<str:tag>/', view('tag'), { name: 'tag' }),
    path('u/<uuid:key>/', view('uuid'), { name: 'by-key' }),
    path('files/<path:file>', view('file'), { name: 'file' }),
    path('/p2r/:id', view('p2r'), { name: 'p2r' }),
    path('/optional{/:slug}', view('optional'), { name: 'optional' }),
    path('/raw/*rest', view('rest'), { name: 'rest' }),
    path('twice/<int:x>/', view('twice-a'), { name: 'twice' }),
    path('twice/', view('twice-b'), { name: 'twice' }),
    include(
      'blog/',
      [
        path('<slug:slug>/', view('blog-post'), { name: 'post' }),
        include('/api', [path('/items/:id', view('blog-item'), { name: 'item' })], { namespace: 'api' }),
        include('plain/', [path('', view('plain'), { name: 'plain' })]),
      ],
      { namespace: 'blog' },
    ),
  ];
  const resolver = new UrlResolver(urls);

  it.each<[string, Record<string, unknown>, string]>([
    ['home', {}, '/'],
    ['post-detail', { id: 42 }, '/posts/42/'],
    ['post-detail', { id: '42' }, '/posts/42/'],
    ['tag', { tag: 'jazz' }, '/tags/jazz/'],
    ['by-key', { key: '075194d3-6885-417e-a8a8-6c931e272f00' }, '/u/075194d3-6885-417e-a8a8-6c931e272f00/'],
    ['file', { file: 'a/b/c.txt' }, '/files/a/b/c.txt'],
    ['p2r', { id: 7 }, '/p2r/7'],
    ['optional', {}, '/optional'],
    ['optional', { slug: 'x' }, '/optional/x'],
    ['rest', { rest: 'a/b' }, '/raw/a/b'],
    ['twice', {}, '/twice/'],
    ['twice', { x: 1 }, '/twice/1/'],
    ['blog:post', { slug: 'hello' }, '/blog/hello/'],
    ['blog:api:item', { id: 3 }, '/blog/api/items/3'],
    ['blog:plain', {}, '/blog/plain/'],
  ])('reverses %s with %j to %s', (name, params, expected) => {
    expect(resolver.reverse(name, params)).toBe(expected);
  });

  it('percent-encodes parameter values so the URL resolves back to them', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['tag', { tag: 'a b?c#d%' }, '/tags/a%20b%3Fc%23d%25/'],
      ['p2r', { id: 'x y' }, '/p2r/x%20y'],
      ['file', { file: 'dir name/é.txt' }, '/files/dir%20name/%C3%A9.txt'],
      ['rest', { rest: 'a b/c' }, '/raw/a%20b/c'],
    ];
    for (const [name, params, expected] of cases) {
      const url = resolver.reverse(name, params);
      expect(url).toBe(expected);
      const match = resolver.match(decodeURIComponent(url));
      expect(match?.urlName).toBe(name);
      expect(Object.values(match!.params)).toEqual(Object.values(params));
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['no-such-name', {}],
    ['post-detail', {}],
    ['post-detail', { id: 'abc' }],
    ['post-detail', { id: -1 }],
    ['post-detail', { id: 1, extra: 2 }],
    ['tag', { tag: 'a/b' }],
    ['by-key', { key: 'nope' }],
    ['p2r', {}],
    ['post', { slug: 'hello' }],
    ['item', { id: 1 }],
    ['blog:item', { id: 1 }],
    ['blog:post', { slug: 'not a slug' }],
  ])('throws NoReverseMatch for %s with %j', (name, params) => {
    expect(() => resolver.reverse(name, params)).toThrow(NoReverseMatch);
  });

  it('the module-level reverse() and app.reverse() use the application’s URL conf', () => {
    const app = createApp({ ROOT_URLCONF: urls, LOGGER: silent });
    expect(app.reverse('post-detail', { id: 1 })).toBe('/posts/1/');
    expect(reverse('blog:post', { slug: 'x' })).toBe('/blog/x/');
    expect(reverse('home')).toBe('/');
    expect(() => reverse('missing')).toThrow(NoReverseMatch);
  });

  it('describes a namespaced route in resolverMatch as Django does', async () => {
    let seen: ResolverMatch | null = null;
    const record: ViewFunction = (request) => {
      seen = request.resolverMatch;
      return new HttpResponse();
    };
    const app = createApp({
      ROOT_URLCONF: [
        include(
          'blog/',
          [include('api/', [path('<int:id>/', record, { name: 'detail' })], { namespace: 'api' })],
          { namespace: 'blog' },
        ),
      ],
      LOGGER: silent,
    });
    expect((await new Client(app).get('/blog/api/3/')).statusCode).toBe(200);
    expect(seen).toMatchObject({
      urlName: 'detail',
      viewName: 'blog:api:detail',
      namespace: 'blog:api',
      namespaces: ['blog', 'api'],
      appName: 'blog:api',
      appNames: ['blog', 'api'],
      route: 'blog/api/<int:id>/',
      args: [],
      kwargs: { id: 3 },
      params: { id: 3 },
    });
    expect(app.reverse(seen!.viewName!, seen!.kwargs)).toBe('/blog/api/3/');
  });

  it('gives a route outside any namespace an empty namespace and its name as view name', () => {
    const match = new UrlResolver([path('about/', view('about'), { name: 'about' })]).match('/about/');
    expect(match).toMatchObject({ urlName: 'about', viewName: 'about', namespace: '', namespaces: [] });
  });
});

describe('first match wins', () => {
  it('takes the earlier route when two match, whatever their kinds', () => {
    expect(
      resolves(
        [path('posts/<str:slug>/', view('dynamic')), path('posts/new/', view('literal'))],
        '/posts/new/',
      ).label,
    ).toBe('dynamic');
    expect(
      resolves(
        [path('posts/new/', view('literal')), path('posts/<str:slug>/', view('dynamic'))],
        '/posts/new/',
      ).label,
    ).toBe('literal');
    expect(
      resolves([path('/posts/:slug', view('p2r')), path('posts/new/', view('django'))], '/posts/new/').label,
    ).toBe('p2r');
    expect(
      resolves([path('<path:any>', view('catch-all')), path('about/', view('about'))], '/about/').label,
    ).toBe('catch-all');
    expect(
      resolves([include('a/', [path('<str:x>/', view('included'))]), path('a/b/', view('later'))], '/a/b/')
        .label,
    ).toBe('included');
  });

  it('lets a request through to the view of the first match, and 404s when none matches', async () => {
    const app = createApp({
      ROOT_URLCONF: [
        path('/items/:id', (_request, params) => new JsonResponse(params)),
        path('items/<int:id>/', () => new HttpResponse('never')),
      ],
      LOGGER: silent,
    });
    const client = new Client(app);
    expect((await client.get('/items/5/')).json()).toEqual({ id: '5' });
    expect((await client.get('/nothing/')).statusCode).toBe(404);
  });
});

describe('registerConverter()', () => {
  registerConverter('fourdigit', {
    regex: '[0-9]{4}',
    toJs: (value: string) => Number(value),
    toUrl: (value: number) => String(value).padStart(4, '0'),
  });
  registerConverter('weekday', {
    regex: '[a-z]+',
    toJs: (value: string) => {
      if (!['mon', 'tue', 'wed', 'thu', 'fri'].includes(value)) throw new Error('not a weekday');
      return value;
    },
    toUrl: (value: string) => value,
  });
  registerConverter('pair', {
    regex: '(x|y)(z)',
    toJs: (value: string) => value.toUpperCase(),
    toUrl: (value: string) => value.toLowerCase(),
  });

  it('makes a custom converter usable, with its own value type', () => {
    expect(resolves([path('archive/<fourdigit:year>/', view('archive'))], '/archive/2024/')).toEqual({
      label: 'archive',
      params: { year: 2024 },
    });
    expect(resolves([path('archive/<fourdigit:year>/', view('archive'))], '/archive/24/').label).toBeNull();
  });

  it('reverses through the converter’s toUrl', () => {
    const resolver = new UrlResolver([
      path('archive/<fourdigit:year>/', view('archive'), { name: 'archive' }),
    ]);
    expect(resolver.reverse('archive', { year: 999 })).toBe('/archive/0999/');
  });

  it('treats a converter that throws as "no match", so later routes get their turn', () => {
    const urls = [path('day/<weekday:day>/', view('weekday')), path('day/<str:day>/', view('any'))];
    expect(resolves(urls, '/day/mon/')).toEqual({ label: 'weekday', params: { day: 'mon' } });
    expect(resolves(urls, '/day/sun/')).toEqual({ label: 'any', params: { day: 'sun' } });
  });

  it('keeps later parameters right when a converter regex has its own groups', () => {
    expect(resolves([path('<pair:a>/<int:b>/', view('pair'))], '/xz/12/')).toEqual({
      label: 'pair',
      params: { a: 'XZ', b: 12 },
    });
  });

  it('refuses to register a name twice, built-in ones included', () => {
    const converter = { regex: 'x', toJs: (value: string) => value, toUrl: (value: string) => value };
    expect(() => registerConverter('fourdigit', converter)).toThrow(ImproperlyConfigured);
    expect(() => registerConverter('int', converter)).toThrow(ImproperlyConfigured);
  });
});

describe('invalid URL confs fail at createApp with ImproperlyConfigured', () => {
  it.each([
    ['an unknown converter', 'posts/<nope:id>/'],
    ['a parameter name that is not an identifier', 'posts/<int:1id>/'],
    ['an unbalanced <', 'posts/<int:id/'],
    ['a stray >', 'posts/id>/'],
    ['a p2r parameter without a name', '/posts/:'],
    ['an unclosed p2r group', '/posts{/:id'],
    ['a p2r wildcard without a name', '/files/*'],
  ])('%s (%s), naming the route', (_label, route) => {
    let error: unknown;
    try {
      createApp({ ROOT_URLCONF: [path(route, view('x'))], LOGGER: silent });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ImproperlyConfigured);
    expect((error as Error).message).toContain(JSON.stringify(route));
  });

  it('refuses a view that is not a function', () => {
    expect(() =>
      createApp({ ROOT_URLCONF: [path('x/', 'views.index' as unknown as ViewFunction)], LOGGER: silent }),
    ).toThrow(/x\/.*must be a function/);
  });

  it('refuses an entry that is not path() or include(), nested ones too', () => {
    const bogus = { route: 'x/', view: view('x') } as unknown as UrlConf[number];
    expect(() => createApp({ ROOT_URLCONF: [bogus], LOGGER: silent })).toThrow(ImproperlyConfigured);
    expect(() => createApp({ ROOT_URLCONF: [include('a/', [bogus])], LOGGER: silent })).toThrow(
      ImproperlyConfigured,
    );
  });

  it('refuses include() of something that is not a list', () => {
    const notAList = 'blog.urls' as unknown as UrlConf;
    expect(() => createApp({ ROOT_URLCONF: [include('blog/', notAList)], LOGGER: silent })).toThrow(
      ImproperlyConfigured,
    );
  });
});

describe('rePath()', () => {
  const archive = view('archive');
  const urls: UrlConf = [
    rePath('^articles/(?<year>[0-9]{4})/$', archive, { name: 'year-archive' }),
    rePath('^articles/(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$', view('month'), { name: 'month-archive' }),
    rePath('^legacy/([a-z]+)/([0-9]+)/$', view('positional'), { name: 'legacy' }),
    rePath('^static/', view('prefix')),
    rePath('^(?:feeds|rss)/(?<kind>[a-z]+)\\.xml$', view('feed'), { name: 'feed' }),
    include('blog/', [rePath('^(?<slug>[-a-z]+)/$', view('post'), { name: 'post' })], { namespace: 'blog' }),
    include('/api', [rePath('^items/(?<id>[0-9]+)$', view('item'), { name: 'item' })]),
  ];
  const resolver = new UrlResolver(urls);

  it('matches the path without its leading slash and passes named groups as string parameters', () => {
    const match = resolver.match('/articles/2026/');
    expect(match?.view).toBe(archive);
    expect(match?.params).toEqual({ year: '2026' });
    expect(match?.args).toEqual([]);
  });

  it("accepts Python's (?P<name>...) groups, so Django patterns port as they are", () => {
    expect(resolver.match('/articles/2026/11/')?.params).toEqual({ year: '2026', month: '11' });
  });

  it('passes the groups of a pattern without named groups as positional args', () => {
    const match = resolver.match('/legacy/tea/42/');
    expect(match?.params).toEqual({});
    expect(match?.args).toEqual(['tea', '42']);
  });

  it('matches any path a pattern without $ starts, as Django does', () => {
    expect(resolver.match('/static/css/site.css')).not.toBeNull();
    expect(resolver.match('/articles/2026/extra/')).toBeNull();
  });

  it('nests under include() prefixes of either syntax, with namespaces', () => {
    expect(resolver.match('/blog/hello-world/')).toMatchObject({
      params: { slug: 'hello-world' },
      viewName: 'blog:post',
      route: 'blog/^(?<slug>[-a-z]+)/$',
    });
    expect(resolver.match('/api/items/7')?.params).toEqual({ id: '7' });
  });

  it('reverses a pattern made of text and named groups, checking each value against its group', () => {
    expect(resolver.reverse('year-archive', { year: 2026 })).toBe('/articles/2026/');
    expect(resolver.reverse('blog:post', { slug: 'hello' })).toBe('/blog/hello/');
    expect(() => resolver.reverse('year-archive', { year: 26 })).toThrow(NoReverseMatch);
  });

  it('refuses to reverse a richer pattern, saying why', () => {
    expect(() => resolver.reverse('feed', { kind: 'atom' })).toThrow(/can't be reversed/);
    expect(() => resolver.reverse('legacy', {})).toThrow(NoReverseMatch);
  });

  it('refuses an invalid regular expression at createApp, naming it', () => {
    expect(() => createApp({ ROOT_URLCONF: [rePath('^(unclosed/$', view('x'))], LOGGER: silent })).toThrow(
      ImproperlyConfigured,
    );
  });
});

describe('resolve()', () => {
  it("answers from the latest application's URL conf, as request.resolverMatch would", () => {
    createApp({
      ROOT_URLCONF: [
        include('blog/', [path('<int:id>/', view('detail'), { name: 'detail' })], { namespace: 'blog' }),
      ],
      LOGGER: silent,
    });
    expect(resolve('/blog/3/')).toMatchObject({
      viewName: 'blog:detail',
      urlName: 'detail',
      params: { id: 3 },
    });
  });

  it('throws Http404 for a path nothing matches', () => {
    createApp({ ROOT_URLCONF: [], LOGGER: silent });
    expect(() => resolve('/nowhere/')).toThrow(Http404);
  });
});
