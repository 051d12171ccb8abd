import type { Application } from '@manouche/core';
import { Client } from '@manouche/testing';
import { blogOf } from '../src/app';
import type { Comment, Post } from '../src/models';
import { csrfTokenFrom, logIn, makeApp, SETTINGS } from './helpers';

describe.each(SETTINGS)('the blog pages with %s', (_name, base) => {
  let app: Application;
  let client: Client;

  beforeEach(() => {
    app = makeApp(base);
    client = new Client(app);
  });

  afterEach(() => blogOf(app).close());

  describe('the post list', () => {
    it('shows the newest five posts on the first page', async () => {
      const response = await client.get('/');
      expect(response.statusCode).toBe(200);
      expect(response.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
      expect(response.template).toBe('post_list.html');
      const posts = response.context!.posts as Post[];
      expect(posts.map((post) => post.id)).toEqual([7, 6, 5, 4, 3]);
      expect(response.context!.page).toMatchObject({
        number: 1,
        num_pages: 2,
        has_previous: false,
        has_next: true,
      });
      expect(response.text).toContain('<a href="/posts/7/">Nuages</a>');
      expect(response.text).toContain('href="?page=2"');
    });

    it('paginates with ?page=', async () => {
      const response = await client.get('/', { page: '2' });
      expect(response.statusCode).toBe(200);
      expect((response.context!.posts as Post[]).map((post) => post.id)).toEqual([2, 1]);
      expect(response.context!.page).toMatchObject({ number: 2, has_previous: true, has_next: false });
      expect(response.text).toContain('href="?page=1"');
      expect((await client.get('/', { page: 'last' })).context!.page).toMatchObject({ number: 2 });
    });

    it('answers 404 for a page past the end or not a number', async () => {
      expect((await client.get('/', { page: '3' })).statusCode).toBe(404);
      expect((await client.get('/', { page: 'abc' })).statusCode).toBe(404);
      expect((await client.get('/', { page: '0' })).statusCode).toBe(404);
    });

    it('keeps the default security: local hosts only, nosniff', async () => {
      const response = await client.get('/');
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect((await client.get('/', undefined, { headers: { Host: 'evil.example' } })).statusCode).toBe(400);
    });
  });

  describe('a post', () => {
    it('shows the post, its comments, the comment form and the live parts', async () => {
      const response = await client.get('/posts/1/');
      expect(response.statusCode).toBe(200);
      expect(response.template).toBe('post_detail.html');
      expect((response.context!.post as Post).title).toBe('Hello, Manouche');
      expect((response.context!.comments as Comment[]).map((comment) => comment.id)).toEqual([1]);
      expect(response.text).toContain('id="connection-state"');
      expect(response.text).toContain('id="comments"');
      expect(response.text).toContain('data-comments-url="/posts/1/comments/"');
      expect(response.text).toContain('name="csrfmiddlewaretoken"');
      expect(response.text).toContain('<script type="module" src="/static/post.js"></script>');
      expect(client.cookies.get('csrftoken')).toBeDefined();
    });

    it('answers 404 for a missing post', async () => {
      const response = await client.get('/posts/999/');
      expect(response.statusCode).toBe(404);
    });

    it('redirects /posts/1 to /posts/1/ (APPEND_SLASH)', async () => {
      const response = await client.get('/posts/1');
      expect(response.statusCode).toBe(301);
      expect(response.headers.get('Location')).toBe('/posts/1/');
    });

    it('escapes what readers write', async () => {
      const token = await csrfTokenFrom(client, '/posts/2/');
      await client.post('/posts/2/', {
        body: '<script>alert(1)</script>',
        author: '<b>x</b>',
        csrfmiddlewaretoken: token,
      });
      const response = await client.get('/posts/2/');
      expect(response.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(response.text).not.toContain('<script>alert(1)</script>');
      expect(response.text).toContain('&lt;b&gt;x&lt;/b&gt;');
    });
  });

  describe('comments', () => {
    it('lists a post’s comments as JSON', async () => {
      const response = await client.get('/posts/1/comments/');
      expect(response.statusCode).toBe(200);
      expect(response.headers.get('Content-Type')).toBe('application/json');
      expect(response.json()).toEqual([
        {
          id: 1,
          post_id: 1,
          author: 'stephane',
          body: 'Welcome! The live comments work, open this page twice.',
          created_at: '2026-01-05T12:00:00.000Z',
        },
      ]);
      expect((await client.get('/posts/2/comments/')).json()).toEqual([]);
    });

    it('answers ?since= with the newer comments only (the polling path)', async () => {
      expect((await client.get('/posts/1/comments/', { since: '1' })).json()).toEqual([]);
      const token = await csrfTokenFrom(client, '/posts/1/');
      await client.post('/posts/1/', { author: 'django', body: 'Second', csrfmiddlewaretoken: token });
      await client.post('/posts/1/', { author: 'django', body: 'Third', csrfmiddlewaretoken: token });
      const newer = (await client.get('/posts/1/comments/', { since: '1' })).json() as Comment[];
      expect(newer.map((comment) => [comment.id, comment.body])).toEqual([
        [2, 'Second'],
        [3, 'Third'],
      ]);
      expect((await client.get('/posts/1/comments/', { since: '2' })).json()).toHaveLength(1);
      expect((await client.get('/posts/1/comments/', { since: '3' })).json()).toEqual([]);
    });

    it('refuses a bad ?since= with 400 and a missing post with 404', async () => {
      expect((await client.get('/posts/1/comments/', { since: 'x' })).statusCode).toBe(400);
      expect((await client.get('/posts/999/comments/')).statusCode).toBe(404);
    });

    it('refuses a comment POST without a CSRF token (403)', async () => {
      await client.get('/posts/1/'); // the csrftoken cookie alone is not enough
      const page = await client.post('/posts/1/', { author: 'eve', body: 'forged' });
      expect(page.statusCode).toBe(403);
      const api = await client.post('/posts/1/comments/', { author: 'eve', body: 'forged' });
      expect(api.statusCode).toBe(403);
      expect((await client.get('/posts/1/comments/')).json()).toHaveLength(1);
    });

    it('adds a comment from the form with the token and redirects to it', async () => {
      const token = await csrfTokenFrom(client, '/posts/1/');
      const response = await client.post('/posts/1/', {
        author: 'django',
        body: 'Nice swing',
        csrfmiddlewaretoken: token,
      });
      expect(response.statusCode).toBe(302);
      expect(response.headers.get('Location')).toBe('/posts/1/#comment-2');
      const comments = (await client.get('/posts/1/comments/')).json() as Comment[];
      expect(comments.at(-1)).toMatchObject({ id: 2, post_id: 1, author: 'django', body: 'Nice swing' });
    });

    it('adds a comment with fetch-style X-CSRFToken (201, JSON)', async () => {
      const token = await csrfTokenFrom(client, '/posts/3/');
      const response = await client.post(
        '/posts/3/comments/',
        { body: 'Posted as JSON' },
        { contentType: 'application/json', headers: { 'X-CSRFToken': token } },
      );
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ post_id: 3, author: 'anonymous', body: 'Posted as JSON' });
      const form = await client.post(
        '/posts/3/comments/',
        { body: 'as a form' },
        { headers: { 'X-CSRFToken': token } },
      );
      expect(form.statusCode).toBe(201);
    });

    it('re-shows the form with an error for an empty comment', async () => {
      const token = await csrfTokenFrom(client, '/posts/1/');
      const response = await client.post('/posts/1/', { body: '  ', csrfmiddlewaretoken: token });
      expect(response.statusCode).toBe(400);
      expect(response.context!.errors).toEqual({ body: 'Write something first.' });
      const api = await client.post(
        '/posts/1/comments/',
        { body: '' },
        { headers: { 'X-CSRFToken': token } },
      );
      expect(api.statusCode).toBe(400);
      expect(api.json()).toEqual({ errors: { body: 'Write something first.' } });
    });

    it('signs comments with the username when logged in', async () => {
      await logIn(client);
      const token = await csrfTokenFrom(client, '/posts/1/');
      await client.post('/posts/1/', { author: 'someone else', body: 'mine', csrfmiddlewaretoken: token });
      const comments = (await client.get('/posts/1/comments/')).json() as Comment[];
      expect(comments.at(-1)).toMatchObject({ author: 'admin', body: 'mine' });
    });
  });

  describe('login and logout', () => {
    it('shows the login form', async () => {
      const response = await client.get('/login/');
      expect(response.statusCode).toBe(200);
      expect(response.template).toBe('login.html');
      expect(response.text).toContain('name="password"');
    });

    it('refuses a wrong password', async () => {
      const token = await csrfTokenFrom(client, '/login/');
      const response = await client.post('/login/', {
        username: 'admin',
        password: 'nope',
        csrfmiddlewaretoken: token,
      });
      expect(response.statusCode).toBe(400);
      expect(response.context!.error).toBe('Please enter a correct username and password.');
      expect(client.cookies.get('sessionid')).toBeUndefined();
      const unknown = await client.post('/login/', {
        username: 'ghost',
        password: 'x',
        csrfmiddlewaretoken: token,
      });
      expect(unknown.statusCode).toBe(400);
    });

    it('refuses a login POST without a CSRF token (403)', async () => {
      const response = await client.post('/login/', { username: 'admin', password: 'manouche' });
      expect(response.statusCode).toBe(403);
    });

    it('logs in, keeps the session in SQLite, and logs out', async () => {
      const token = await csrfTokenFrom(client, '/login/');
      const response = await client.post('/login/', {
        username: 'admin',
        password: 'manouche',
        next: '/posts/2/',
        csrfmiddlewaretoken: token,
      });
      expect(response.statusCode).toBe(302);
      expect(response.headers.get('Location')).toBe('/posts/2/');
      expect(client.cookies.get('sessionid')).toBeDefined();
      const { db } = blogOf(app);
      expect(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 1 });

      const home = await client.get('/');
      expect(home.context!.user).toMatchObject({ id: 1, username: 'admin', isAuthenticated: true });
      expect(home.text).toContain('<span class="who" id="current-user">admin</span>');

      expect((await client.get('/logout/')).template).toBe('logout.html');
      const logoutToken = await csrfTokenFrom(client, '/');
      const out = await client.post('/logout/', { csrfmiddlewaretoken: logoutToken });
      expect(out.statusCode).toBe(302);
      expect(out.headers.get('Location')).toBe('/');
      expect(client.cookies.get('sessionid')).toBeUndefined();
      expect(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
      expect((await client.get('/')).context!.user).toMatchObject({ isAuthenticated: false, pk: null });
    });

    it('says "Welcome back" once after logging in, and "You are logged out" once after logging out', async () => {
      const token = await csrfTokenFrom(client, '/login/');
      const response = await client.post(
        '/login/',
        { username: 'admin', password: 'manouche', csrfmiddlewaretoken: token },
        { follow: true },
      );
      expect(response.redirectChain).toEqual([['/', 302]]);
      expect(response.text).toContain('<li class="success">Welcome back, admin.</li>');
      expect((await client.get('/')).text).not.toContain('Welcome back');

      const logoutToken = await csrfTokenFrom(client, '/');
      const out = await client.post('/logout/', { csrfmiddlewaretoken: logoutToken }, { follow: true });
      expect(out.text).toContain('<li class="info">You are logged out.</li>');
      expect((await client.get('/')).text).not.toContain('<ul class="messages"');
    });

    it('only follows a next that stays on the site', async () => {
      for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
        const other = new Client(app);
        const token = await csrfTokenFrom(other, '/login/');
        const response = await other.post('/login/', {
          username: 'admin',
          password: 'manouche',
          next,
          csrfmiddlewaretoken: token,
        });
        expect(response.headers.get('Location')).toBe('/');
      }
    });
  });

  describe('a new post', () => {
    it('sends anonymous users to the login page', async () => {
      const response = await client.get('/posts/new/');
      expect(response.statusCode).toBe(302);
      expect(response.headers.get('Location')).toBe('/login/?next=/posts/new/');
      const post = await client.post('/posts/new/', { title: 'x', body: 'y' });
      expect(post.statusCode).toBe(403); // CsrfViewMiddleware checks before the view's login check
    });

    it('logs in through the redirect and lands on the form', async () => {
      const followed = await client.get('/posts/new/', undefined, { follow: true });
      expect(followed.redirectChain).toEqual([['/login/?next=/posts/new/', 302]]);
      const token = followed.context!.csrf_token as string;
      const response = await client.post(
        '/login/',
        {
          username: 'admin',
          password: 'manouche',
          next: followed.context!.next as string,
          csrfmiddlewaretoken: token,
        },
        { follow: true },
      );
      expect(response.redirectChain).toEqual([['/posts/new/', 302]]);
      expect(response.template).toBe('post_form.html');
    });

    it('refuses a POST without a CSRF token (403) even when logged in', async () => {
      await logIn(client);
      const response = await client.post('/posts/new/', { title: 'No token', body: 'body' });
      expect(response.statusCode).toBe(403);
      expect(blogOf(app).models.countPosts()).toBe(7);
    });

    it('creates a post with the token and shows it first on the list', async () => {
      await logIn(client);
      const token = await csrfTokenFrom(client, '/posts/new/');
      const response = await client.post('/posts/new/', {
        title: 'Djangology',
        body: 'A new post.',
        csrfmiddlewaretoken: token,
      });
      expect(response.statusCode).toBe(302);
      expect(response.headers.get('Location')).toBe('/posts/8/');
      const detail = await client.get('/posts/8/');
      expect(detail.text).toContain('<li class="success">Post published.</li>');
      expect(detail.context!.post).toMatchObject({
        id: 8,
        title: 'Djangology',
        slug: 'djangology',
        author: 'admin',
      });
      const list = await client.get('/');
      expect((list.context!.posts as Post[])[0]!.id).toBe(8);
      expect(list.context!.page).toMatchObject({ num_pages: 2 });
    });

    it('re-shows the form with errors', async () => {
      await logIn(client);
      const token = await csrfTokenFrom(client, '/posts/new/');
      const response = await client.post('/posts/new/', { title: '', body: '', csrfmiddlewaretoken: token });
      expect(response.statusCode).toBe(400);
      expect(response.context!.errors).toEqual({
        title: 'A post needs a title.',
        body: 'A post needs a body.',
      });
    });
  });

  describe('static files', () => {
    it('serves the client script and stylesheet with their content types', async () => {
      const script = await client.get('/static/post.js');
      expect(script.statusCode).toBe(200);
      expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
      expect(script.text).toContain('connection-state');
      expect(script.text).toContain("from '/static/client/index.js'");
      const library = await client.get('/static/client/index.js');
      expect(library.statusCode).toBe(200);
      expect(library.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
      expect(library.text).toContain('export function connect(');
      const css = await client.get('/static/blog.css');
      expect(css.headers.get('Content-Type')).toBe('text/css; charset=utf-8');
      const etag = css.headers.get('ETag')!;
      const again = await client.get('/static/blog.css', undefined, { headers: { 'If-None-Match': etag } });
      expect(again.statusCode).toBe(304);
    });

    it('never serves a file outside static/', async () => {
      for (const path of [
        '/static/../package.json',
        '/static/..%2Fpackage.json',
        '/static/%2E%2E/package.json',
        '/static/../src/settings.ts',
        '/static/.hidden',
        '/static/missing.js',
        '/static//etc/passwd',
      ]) {
        const response = await client.get(path);
        expect([path, response.statusCode]).toEqual([path, 404]);
      }
    });
  });
});
