import { closeBlogApp, createBlogApp } from './app';

export { createBlogApp, closeBlogApp, settingsFor, blogOf } from './app';

/** `npm start`: the blog on http://127.0.0.1:8000 (env `PORT`, `HOST`, `BLOG_SETTINGS`, `BLOG_DATABASE`). */
async function main(): Promise<void> {
  const app = createBlogApp();
  const port = Number(process.env.PORT || 8000);
  const host = process.env.HOST || '127.0.0.1';
  await app.listen(port, host);
  const mode =
    app.settings.MIDDLEWARE == null ? 'settings-legacy (MIDDLEWARE_CLASSES)' : 'settings (MIDDLEWARE)';
  console.log(`Manouche blog on http://${host.includes(':') ? `[${host}]` : host}:${port}/ with ${mode}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing`);
    closeBlogApp(app).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
