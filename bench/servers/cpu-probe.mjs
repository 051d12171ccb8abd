// Imported by every benchmark server: answers the harness's 'cpu' message with this process's CPU
// time, so the harness can report CPU microseconds per request, a figure that a noisy machine or a
// saturated load generator disturbs far less than requests per second.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
