// Starting a benchmark server and reading its CPU time, the same way for a Node server in a child
// process (which answers over IPC, servers/cpu-probe.mjs) and for an outside one (gunicorn, daphne),
// whose CPU time comes from /proc, summed over the process and its descendants (gunicorn's worker).
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { cpuMicros } from '../cpu.mjs';

const SERVERS_DIRECTORY = new URL('../servers/', import.meta.url);
// /proc counts CPU time in clock ticks; Linux's USER_HZ is 100 on every architecture Node runs on.
const MICROS_PER_TICK = 10_000;

/**
 * Forks bench/servers/<script> (or `url`) on `port` and waits for its 'ready'. The result's `cpu()`
 * is its CPU time in microseconds; `stop()` ends it.
 */
export async function startNodeServer({ script, url, env = {}, execArgv = [] }, port) {
  const child = fork(fileURLToPath(url ?? new URL(script, SERVERS_DIRECTORY)), {
    env: { ...process.env, ...env, PORT: String(port) },
    execArgv,
    stdio: 'inherit',
  });
  await once(child, 'message');
  return {
    child,
    pid: child.pid,
    cpu: () => cpuMicros(child),
    stop: () => stopChild(child),
  };
}

/**
 * Spawns an outside server (`command` with `args`, in `cwd`) and waits until `port` accepts a
 * connection (`timeoutMs`, 20 s). Throws, after ending it, when it never does.
 */
export async function startProcessServer({ command, args, cwd, env = {}, timeoutMs = 20_000 }, port) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${command} did not listen on ${port}:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    child,
    pid: child.pid,
    cpu: async () => treeCpuMicros(child.pid),
    stop: () => stopChild(child),
  };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** User + system CPU time of `pid` and all its descendants, in microseconds (Linux /proc). */
export function treeCpuMicros(pid) {
  const stats = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat) stats.set(Number(entry), stat);
  }
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop();
    const stat = stats.get(current);
    if (stat) ticks += stat.ticks;
    for (const [child, { parent }] of stats) if (parent === current) pending.push(child);
  }
  return ticks * MICROS_PER_TICK;
}

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields that follow start after its ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** The resident memory of `pid` (Linux /proc), in bytes. */
export function rssOf(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/**
 * Starts a server from its description: `{ kind: 'process', command, args, bind(port), cwd, env }`
 * for an outside one (lib/django.mjs), else `{ script | url, env, execArgv }` for a Node one.
 */
export function startServer(description, port) {
  if (description.kind === 'process') {
    return startProcessServer(
      { ...description, args: [...description.args, ...description.bind(port)] },
      port,
    );
  }
  return startNodeServer(description, port);
}
