// The targets, checked against the result files by bench/report.mjs: each names a figure
// (file, table, row, column), the bound it must meet, and what to compare it with.
export const TARGETS = [
  {
    label: 'Five pass-through MIDDLEWARE layers: CPU efficiency >= 0.90x bare node:http',
    file: 'http-equal-work.json',
    row: 'manouche, 5 MIDDLEWARE',
    key: 'cpuRatio',
    atLeast: 0.9,
  },
  {
    label: 'Five pass-through MIDDLEWARE_CLASSES: CPU efficiency >= 0.90x bare node:http',
    file: 'http-equal-work.json',
    row: 'manouche, 5 MIDDLEWARE_CLASSES',
    key: 'cpuRatio',
    atLeast: 0.9,
  },
  {
    label: "Django's default stack, GET /: CPU efficiency >= 0.75x bare node:http",
    file: 'http-realistic-stack.json',
    table: 0,
    row: 'manouche, Django default middleware',
    key: 'cpuRatio',
    atLeast: 0.75,
  },
  ...['GET /', 'GET /session/', 'POST /submit/'].map((request, table) => ({
    label: `Django's default stack ahead of Fastify's plugins (CPU per request), ${request}`,
    file: 'http-realistic-stack.json',
    table,
    row: 'manouche, Django default middleware',
    key: 'cpu',
    // Less CPU per request than Fastify's row of the same table.
    below: { row: 'fastify, equivalent plugins', label: 'Fastify' },
  })),
  {
    label: 'WebSocket echo: CPU efficiency >= 0.95x bare ws',
    file: 'ws-echo.json',
    row: 'manouche acceptWebsocket view',
    key: 'cpuRatio',
    atLeast: 0.95,
  },
  {
    // Not one of the targets: the same comparison against ws doing the view's work.
    label: 'WebSocket echo, like with like: no more CPU than bare ws written the same way (for await, text)',
    file: 'ws-echo.json',
    row: 'manouche acceptWebsocket view',
    key: 'cpu',
    below: { row: 'ws (bare), for await over decoded text', label: 'ws, same work' },
  },
  {
    label: 'Idle memory per WebSocket <= 1.2x bare ws (RSS)',
    file: 'ws-idle.json',
    row: 'manouche acceptWebsocket view',
    key: 'ratio',
    atMost: 1.2,
  },
  {
    label: 'Fan-out to the group: within 1.2x of the bare ws loop',
    file: 'ws-fanout.json',
    row: 'manouche groupSend, in-memory layer',
    key: 'ratio',
    atMost: 1.2,
  },
];

/**
 * Each target with its measured value, whether it is met, and by how much it is missed (as a
 * fraction of the bound); `measured` is null when the result file or row is absent.
 */
export function checkTargets(documentsByFile) {
  return TARGETS.map((target) => {
    const table = documentsByFile.get(target.file)?.tables[target.table ?? 0];
    const find = (name) => table?.rows.find((row) => row.name === name);
    const measured = find(target.row)?.[target.key];
    const bound =
      target.atLeast ?? target.atMost ?? (target.below ? find(target.below.row)?.[target.key] : undefined);
    if (!Number.isFinite(measured) || !Number.isFinite(bound)) {
      return { ...target, tableTitle: table?.title, measured: null, bound: bound ?? null, met: null };
    }
    const met = target.atLeast !== undefined ? measured >= bound : measured <= bound;
    const shortfall = met
      ? 0
      : target.atLeast !== undefined
        ? (bound - measured) / bound
        : (measured - bound) / bound;
    return { ...target, tableTitle: table.title, measured, bound, met, shortfall };
  });
}
