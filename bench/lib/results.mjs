// Result files: every script that takes part in bench/RESULTS.md writes one JSON document to
// bench/results/<name>.json, and bench/report.mjs turns every such file into a section of RESULTS.md.
// The shape, which a new script (HTTP/2, push transports...) follows to join the report:
//   {
//     "title": "…", "order": 10,                      // section heading; sections sort by order
//     "command": "node bench/…",                       // how to reproduce
//     "machine": { cpu, cores, node, date, … },        // lib/machine.mjs
//     "notes": ["…"],                                  // paragraphs under the heading
//     "tables": [{
//       "title": "…",
//       "columns": [{ "key": "name", "label": "server" }, { "key": "cpu", "label": "CPU us", "digits": 1, "suffix": "" }],
//       "rows": [{ "name": "…", "cpu": 16.2 }],
//       "chart": { "x": "cpuRatio", "label": "CPU efficiency vs bare (higher is better)", "y": "name" }  // optional
//     }]
//   }
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'prettier';
import { machine } from './machine.mjs';

/**
 * Where result files go: bench/results/, or BENCH_RESULTS_DIR when set (`npm run bench -- --quick`
 * sets bench/results-quick/, so a smoke run leaves the committed results alone).
 */
export const RESULTS_DIRECTORY = process.env.BENCH_RESULTS_DIR
  ? pathToFileURL(`${resolve(process.env.BENCH_RESULTS_DIR)}/`)
  : new URL('../results/', import.meta.url);

/** Writes `document` (with the machine added) to bench/results/<name>.json, or to `output` when given. */
export async function writeResults(name, document, output) {
  mkdirSync(RESULTS_DIRECTORY, { recursive: true });
  const target = output ?? new URL(`${name}.json`, RESULTS_DIRECTORY);
  const where = document.machine ?? machine();
  console.log(`\n${where.cpu} (${where.cores} cores), Node ${where.node}, ${where.date}`);
  const text = JSON.stringify({ ...document, machine: where }, null, 2);
  // Formatted as the repository's `prettier --check` expects, so a fresh run keeps lint green.
  writeFileSync(target, await format(text, { parser: 'json' }));
  console.error(`wrote ${target instanceof URL ? target.pathname : target}`);
}

/** Prints a result table as Markdown on stdout, as the scripts always did. */
export function printTable(table) {
  console.log(`\n${table.title}\n`);
  console.log(`| ${table.columns.map((column) => column.label).join(' | ')} |`);
  console.log(`| ${table.columns.map((_, index) => (index === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const row of table.rows) {
    console.log(`| ${table.columns.map((column) => formatCell(row[column.key], column)).join(' | ')} |`);
  }
}

/** A cell as text: numbers to the column's `digits`, with its `suffix`; missing values as "-". */
export function formatCell(value, column) {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) {
    return '-';
  }
  if (typeof value !== 'number') return String(value);
  const digits = column.digits ?? 0;
  const text = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return `${text}${column.suffix ?? ''}`;
}
