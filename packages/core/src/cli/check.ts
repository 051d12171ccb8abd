import { collectChecks, type CheckReport } from '../checks';
import type { CheckLevel, CheckMessage } from '../checks/messages';
import type { Settings } from '../settings';
import { EXIT_FAILURE, EXIT_OK } from './errors';
import { loadSettings } from './settings-module';

/** The groups of the report, most serious first, with Django's headings. */
const GROUPS: ReadonlyArray<{ level: CheckLevel; heading: string }> = [
  { level: 'error', heading: 'ERRORS' },
  { level: 'warning', heading: 'WARNINGS' },
];

/** One message as Django prints it: `?: (manouche.E001) message` and a tab-indented `HINT:` line. */
export function formatCheckMessage(message: CheckMessage): string {
  const hint = message.hint === undefined ? '' : `\n\tHINT: ${message.hint}`;
  return `?: (${message.id}) ${message.message}${hint}`;
}

/**
 * The report as Django's `check` prints it: `System check identified some issues:`, the `ERRORS:` and
 * `WARNINGS:` groups (sorted), then `System check identified 2 issues (0 silenced).`
 */
export function formatCheckReport(report: CheckReport): string {
  const { messages, silenced } = report;
  let body = '';
  for (const { level, heading } of GROUPS) {
    const lines = messages
      .filter((message) => message.level === level)
      .map(formatCheckMessage)
      .sort();
    if (lines.length > 0) body += `\n${heading}:\n${lines.join('\n')}\n`;
  }
  const count =
    messages.length === 0 ? 'no issues' : messages.length === 1 ? '1 issue' : `${messages.length} issues`;
  const footer = `System check identified ${count} (${silenced} silenced).`;
  return messages.length === 0 ? `${footer}\n` : `System check identified some issues:\n${body}\n${footer}\n`;
}

/** True when the report holds a message at `failLevel` or above. */
export function failsAt(report: CheckReport, failLevel: CheckLevel): boolean {
  return report.messages.some((message) => failLevel === 'warning' || message.level === 'error');
}

/**
 * Runs the checks and prints the report (issues on stderr, "no issues" on stdout, as Django does).
 * Returns whether the report fails at `failLevel`.
 */
export function runAndPrintChecks(settings: Settings, failLevel: CheckLevel = 'error'): boolean {
  const report = collectChecks(settings);
  const text = formatCheckReport(report);
  if (report.messages.length > 0) process.stderr.write(text);
  else process.stdout.write(text);
  return failsAt(report, failLevel);
}

/** `manouche check`: exit 1 when a check at `--fail-level` (default: error) or above fails. */
export async function checkCommand(options: { settings: string; failLevel?: CheckLevel }): Promise<number> {
  const { settings } = await loadSettings(options.settings);
  return runAndPrintChecks(settings, options.failLevel) ? EXIT_FAILURE : EXIT_OK;
}
