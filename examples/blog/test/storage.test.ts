import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@manouche/testing';
import { blogOf } from '../src/app';
import { MIGRATIONS, migrate, openDatabase, SEEDED_USER } from '../src/db';
import { BlogModels, slugify } from '../src/models';
import { checkPassword, hashPassword } from '../src/passwords';
import { SqliteSessionStore } from '../src/sessions-store';
import { makeApp, SETTINGS } from './helpers';

describe('the database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'manouche-blog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates and seeds a new file once, and keeps it across restarts', () => {
    const file = join(dir, 'blog.sqlite3');
    const db = openDatabase(file);
    const versions = db.prepare('SELECT version, name FROM migrations ORDER BY version').all();
    expect(versions).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    const models = new BlogModels(db);
    models.createComment({ postId: 2, author: 'x', body: 'kept' });
    db.close();

    const again = openDatabase(file);
    expect(migrate(again)).toEqual([]);
    const reopened = new BlogModels(again);
    expect(reopened.countPosts()).toBe(7);
    expect(reopened.getPost(1)).toMatchObject({ id: 1, slug: 'hello-manouche', author: 'admin' });
    expect(reopened.listComments(2).map((comment) => comment.body)).toEqual(['kept']);
    expect(again.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 1 });
    again.close();
  });

  it('uses BLOG_DATABASE when the settings name no file', () => {
    const file = join(dir, 'from-env.sqlite3');
    const previous = process.env.BLOG_DATABASE;
    process.env.BLOG_DATABASE = file;
    try {
      const app = makeApp(SETTINGS[0]![1], { BLOG_DATABASE: undefined });
      expect(blogOf(app).db.name).toBe(file);
      blogOf(app).close();
    } finally {
      if (previous === undefined) delete process.env.BLOG_DATABASE;
      else process.env.BLOG_DATABASE = previous;
    }
  });

  it('checks passwords with scrypt', () => {
    const encoded = hashPassword('s3cret');
    expect(encoded).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(checkPassword('s3cret', encoded)).toBe(true);
    expect(checkPassword('S3cret', encoded)).toBe(false);
    expect(checkPassword('s3cret', 'md5$nope')).toBe(false);
    const models = new BlogModels(openDatabase(':memory:'));
    expect(models.authenticate(SEEDED_USER.username, SEEDED_USER.password)).toEqual({
      id: 1,
      username: 'admin',
    });
    expect(models.authenticate('admin', 'wrong')).toBeNull();
    expect(models.authenticate('nobody', 'manouche')).toBeNull();
    models.db.close();
  });

  it('slugifies titles and keeps slugs unique', () => {
    expect(slugify('Héllo, Wörld!  Again')).toBe('hello-world-again');
    expect(slugify('!!!')).toBe('post');
    const models = new BlogModels(openDatabase(':memory:'));
    expect(models.createPost({ title: 'Nuages', body: 'b', author: 'a' }).slug).toBe('nuages-2');
    models.db.close();
  });
});

describe('SqliteSessionStore', () => {
  it('saves, loads, replaces and deletes sessions', async () => {
    const db = openDatabase(':memory:');
    const store = new SqliteSessionStore(db);
    const later = new Date(Date.now() + 60_000);
    expect(await store.load('k')).toBeNull();
    await store.save('k', { a: 1, nested: { b: [1, 2] } }, later);
    expect(await store.load('k')).toEqual({ a: 1, nested: { b: [1, 2] } });
    await store.save('k', { a: 2 }, later);
    expect(await store.load('k')).toEqual({ a: 2 });
    await store.delete('k');
    expect(await store.load('k')).toBeNull();
    db.close();
  });

  it('ignores and sweeps expired sessions', async () => {
    const db = openDatabase(':memory:');
    const store = new SqliteSessionStore(db);
    await store.save('old', { a: 1 }, new Date(Date.now() - 1000));
    await store.save('other-old', { a: 1 }, new Date(Date.now() - 1000));
    await store.save('new', { a: 1 }, new Date(Date.now() + 60_000));
    expect(await store.load('old')).toBeNull();
    expect(store.clearExpired()).toBe(1);
    expect(await store.load('new')).toEqual({ a: 1 });
    db.close();
  });

  it.each(SETTINGS)('is the session store of the blog (%s)', async (_name, base) => {
    const app = makeApp(base);
    expect(app.settings.SESSION_STORE).toBe(blogOf(app).sessions);
    const client = new Client(app);
    const page = await client.get('/login/');
    await client.post('/login/', {
      username: 'admin',
      password: 'manouche',
      csrfmiddlewaretoken: page.context!.csrf_token as string,
    });
    const row = blogOf(app).db.prepare('SELECT data, expires_at FROM sessions').get() as {
      data: string;
      expires_at: number;
    };
    expect(JSON.parse(row.data)).toEqual({
      _auth_user_id: 1,
      _auth_user_backend: 'blog.auth.BlogBackend',
      _auth_user_hash: '',
    });
    expect(row.expires_at).toBeGreaterThan(Date.now());
    blogOf(app).close();
  });
});
