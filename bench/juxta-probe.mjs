// Bench-only preload (node --expose-gc --import ./bench/juxta-probe.mjs dist/src/server.js). It answers the
// bench's IPC requests with process.memoryUsage() after a forced GC, so the product app needs no debug route.
// Plain JS because the bench runs the built server with plain node, as `npm start` does.
if (typeof process.send === 'function') {
  process.on('message', (msg) => {
    if (msg?.type === 'juxta-bench:snapshot' && typeof msg.path === 'string') {
      // Developer aid (bench/juxta-process.ts snapshot()): what a held stream is made of.
      import('node:v8').then((v8) =>
        process.send?.({ type: 'juxta-bench:snapshot', id: msg.id, path: v8.writeHeapSnapshot(msg.path) }),
      )
      return
    }
    if (msg?.type !== 'juxta-bench:memory') return
    globalThis.gc?.()
    globalThis.gc?.()
    process.send?.({ type: 'juxta-bench:memory', id: msg.id, ...process.memoryUsage(), cpu: process.cpuUsage() })
  })
  // The bench went away: do not linger as an orphan server.
  process.on('disconnect', () => process.exit(0))
}
