import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WebSocketTestClient } from '@manouche/testing';

const SCRIPT = join(__dirname, 'scale-node.ts');
const TSCONFIG = join(__dirname, 'tsconfig.child.json');

/** One application process of scale-node.ts, on its own port. */
export class AppProcess {
  readonly stderr: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stderr!.on('data', (chunk: Buffer) =>
      this.stderr.push(...chunk.toString().split('\n').filter(Boolean)),
    );
  }

  static async start(env: {
    PREFIX: string;
    REDIS_URL?: string;
    PRESENCE_TTL?: string;
  }): Promise<AppProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: { ...process.env, ...env, TSX_TSCONFIG_PATH: TSCONFIG },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n')[0]!;
        if (output.includes('\n')) resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`scale-node exited with ${code} before listening`)));
    });
    return new AppProcess(child, port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A client in `room` as `user`, once it has its channel name. */
  async join(room: string, user: string): Promise<{ client: WebSocketTestClient; channelName: string }> {
    const client = new WebSocketTestClient(`ws://127.0.0.1:${this.port}/rooms/${room}/?user=${user}`, {
      timeoutMs: 10_000,
    });
    const result = await client.connect();
    if (!result.accepted) throw new Error(`not accepted: ${result.status}`);
    const { channelName } = JSON.parse(String(await client.receive())) as { channelName: string };
    return { client, channelName };
  }

  async members(room: string): Promise<{ channelName: string; info?: { user: string } }[]> {
    const response = await fetch(`${this.url}/members/${room}/`);
    return (await response.json()) as { channelName: string; info?: { user: string } }[];
  }

  /** Ends the process: SIGTERM closes it cleanly, SIGKILL is a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `read` until `accept` holds; the test's timeout bounds it. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
