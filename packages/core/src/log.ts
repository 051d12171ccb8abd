/**
 * The logger Manouche writes to. Django users know `django.request`: 4xx answers are warnings, 5xx are
 * errors with the trace. Set `LOGGER` in the settings to route the lines elsewhere (pino, winston and
 * `console` all fit this shape).
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Writes one line per event to stderr. */
export const consoleLogger: Logger = {
  info: (message) => process.stderr.write(`${message}\n`),
  warn: (message) => process.stderr.write(`${message}\n`),
  error: (message, error) => {
    const trace = error instanceof Error && error.stack ? `\n${error.stack}` : '';
    process.stderr.write(`${message}${trace}\n`);
  },
};
