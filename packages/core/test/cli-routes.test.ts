import { runCli, TempProject } from './support/cli';

const SETTINGS = `const { path, include, HttpResponse, View } = require('@manouche/core');
class PostDetail extends View { get() { return new HttpResponse('post'); } }
function home() { return new HttpResponse('home'); }
function userDetail() { return new HttpResponse('user'); }
module.exports = {
  ROOT_URLCONF: [
    path('', home, { name: 'home' }),
    include('blog/', [path('posts/<int:id>/', PostDetail.asView(), { name: 'post-detail' })], { namespace: 'blog' }),
    include('api/', [path('/users/:id', userDetail)]),
  ],
};
`;

describe('manouche routes', () => {
  let project: TempProject;

  beforeEach(() => {
    project = new TempProject({ 'settings.js': SETTINGS });
  });

  afterEach(() => project.remove());

  it('prints one line per route: the route with its prefixes, the view and the URL name', async () => {
    const result = await runCli(['routes', '--settings', project.path('settings.js')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'ROUTE                 VIEW                 NAME',
        "''                    home                 home",
        'blog/posts/<int:id>/  PostDetail.asView()  blog:post-detail',
        'api/users/:id         userDetail           -',
        '',
      ].join('\n'),
    );
  });

  it('prints a JSON array with --json', async () => {
    const result = await runCli(['routes', '--json', '--settings', project.path('settings.js')]);
    expect(JSON.parse(result.stdout)).toEqual([
      { route: '', view: 'home', name: 'home' },
      { route: 'blog/posts/<int:id>/', view: 'PostDetail.asView()', name: 'blog:post-detail' },
      { route: 'api/users/:id', view: 'userDetail', name: null },
    ]);
  });

  it('shows a view written inline, as the READMEs write them, by the start of its source', async () => {
    project.write(
      'inline.js',
      `const { path, HttpResponse, JsonResponse, wraps } = require('@manouche/core');
const logged = (view) => wraps(view)((request, params) => view(request, params));
module.exports = {
  ROOT_URLCONF: [
    path('', () => new HttpResponse('Hello, world')),
    path('posts/<int:id>/', logged((request, { id }) =>
      new JsonResponse({ id, q: request.GET.get('q'), long: 'enough to be cut short in the table' }))),
  ],
};
`,
    );
    const result = await runCli(['routes', '--json', '--settings', project.path('inline.js')]);
    expect(JSON.parse(result.stdout)).toEqual([
      { route: '', view: "() => new HttpResponse('Hello, world')", name: null },
      {
        route: 'posts/<int:id>/',
        view: '(request, { id }) => new JsonResponse({ id, q: request.GET.…',
        name: null,
      },
    ]);
  });

  it('says so when the URL conf is empty', async () => {
    project.write('empty.js', 'module.exports = { ROOT_URLCONF: [] };\n');
    const result = await runCli(['routes', '--settings', project.path('empty.js')]);
    expect(result).toEqual({ code: 0, stdout: 'No routes: ROOT_URLCONF is empty.\n', stderr: '' });
  });

  it('exits 1 when there is no ROOT_URLCONF', async () => {
    project.write('none.js', 'module.exports = { DEBUG: true };\n');
    const result = await runCli(['routes', '--settings', project.path('none.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: The ROOT_URLCONF setting is required: an array of path()/include() entries\n',
    );
  });

  it('exits 1 with the ImproperlyConfigured message when the URL conf does not compile', async () => {
    project.write(
      'bad.js',
      "const { path } = require('@manouche/core');\nmodule.exports = { ROOT_URLCONF: [path('<foo:id>/', () => null)] };\n",
    );
    const result = await runCli(['routes', '--settings', project.path('bad.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^ImproperlyConfigured: URL route "<foo:id>\/" uses invalid converter "foo"/,
    );
  });
});
