// Django as a peer (bench/django/): the commands that serve the benchmark's Django project under
// gunicorn and daphne, and whether this machine can run them (Debian's python3-django, gunicorn,
// python3-daphne and python3-django-channels).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const DJANGO_DIRECTORY = fileURLToPath(new URL('../django/', import.meta.url));

// Debian's packages live in the system Python, which a pyenv or venv earlier on PATH would hide.
const PYTHON = process.env.DJANGO_PYTHON ?? '/usr/bin/python3';

let cachedVersions;

/**
 * The versions of Django, gunicorn, daphne and Channels, or `{ missing }` naming what is absent:
 * the harness then skips the Django peers and says so in its notes.
 */
export function djangoVersions() {
  if (cachedVersions) return cachedVersions;
  try {
    const output = execFileSync(
      PYTHON,
      [
        '-c',
        'import django, gunicorn, daphne, channels; ' +
          'print(django.get_version(), gunicorn.__version__, daphne.__version__, channels.__version__)',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const [django, gunicorn, daphne, channels] = output.trim().split(' ');
    cachedVersions = { django, gunicorn, daphne, channels };
  } catch (error) {
    const missing = /No module named '?([\w.]+)'?/.exec(String(error.stderr ?? error))?.[1] ?? PYTHON;
    cachedVersions = { missing };
  }
  return cachedVersions;
}

/** A note for the results when the Django peers cannot run here; null when they can. */
export function djangoSkipNote() {
  const versions = djangoVersions();
  if (!versions.missing) return null;
  return (
    `Django peers skipped: ${versions.missing} is not installed ` +
    '(`apt-get install python3-django gunicorn python3-daphne python3-django-channels`).'
  );
}

/** The project under gunicorn: one sync worker, to compare with one Node process. */
export const gunicornServer = {
  command: PYTHON,
  args: ['-m', 'gunicorn', '--workers', '1', '--worker-class', 'sync', '--log-level', 'warning'],
  bind: (port) => ['--bind', `127.0.0.1:${port}`, 'benchsite.wsgi:application'],
};

/** The project's ASGI application (Django's HTTP handler and the Channels echo consumer) under daphne. */
export const daphneServer = {
  command: PYTHON,
  args: ['-m', 'daphne', '--verbosity', '0'],
  bind: (port) => ['--bind', '127.0.0.1', '--port', String(port), 'benchsite.asgi:application'],
};

/** The start description lib/processes.mjs's startProcessServer takes, for one of the two servers above. */
export function djangoStart(server) {
  return {
    kind: 'process',
    command: server.command,
    args: server.args,
    bind: server.bind,
    cwd: DJANGO_DIRECTORY,
    env: { DJANGO_SETTINGS_MODULE: 'benchsite.settings', PYTHONDONTWRITEBYTECODE: '1' },
  };
}
