// Imported by every benchmark server: answers the harness's questions over IPC.
// - 'cpu': this process's CPU time, so the harness can report CPU microseconds per request, a figure
//   that a noisy machine or a saturated load generator disturbs far less than requests per second;
// - 'memory': RSS and heap after two full collections (needs --expose-gc, else uncollected), and the
//   count of active handles (sockets, timers), for the idle-memory and soak figures.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (message === 'memory') {
    globalThis.gc?.();
    globalThis.gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({
      memory: { rss, heapUsed, external, arrayBuffers },
      handles: process.getActiveResourcesInfo().length,
    });
  }
});
// A server whose harness went away (Ctrl-C, a crash) goes too, rather than linger on its port.
process.on('disconnect', () => process.exit(0));
