import { closeBlogApp, createBlogApp } from './app';
import { CERTIFICATE_DIR, localCertificate } from './https';

export { createBlogApp, closeBlogApp, settingsFor, blogOf } from './app';

/**
 * `npm start`: the blog on http://127.0.0.1:8000 (env `PORT`, `HOST`, `BLOG_SETTINGS`,
 * `BLOG_DATABASE`); with `BLOG_HTTPS=1`, on https:// with HTTP/2 (and HTTP/1.1) instead.
 */
async function main(): Promise<void> {
  const app = createBlogApp();
  const port = Number(process.env.PORT || 8000);
  const host = process.env.HOST || '127.0.0.1';
  const https = process.env.BLOG_HTTPS === '1';
  if (https) {
    const certificate = localCertificate();
    if (certificate.created)
      console.log(`Made a self-signed certificate for localhost in ${CERTIFICATE_DIR}`);
    await app.listen({ port, host, tls: certificate, http2: true });
  } else {
    await app.listen(port, host);
  }
  const mode =
    app.settings.MIDDLEWARE == null ? 'settings-legacy (MIDDLEWARE_CLASSES)' : 'settings (MIDDLEWARE)';
  const origin = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  console.log(`Manouche blog on ${origin}${https ? ' (HTTP/2 and HTTP/1.1)' : ''} with ${mode}`);
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
