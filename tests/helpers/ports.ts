import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

/** A loopback port that nothing listens on: bound a moment ago, then released, so connecting is refused. */
export async function closedLoopbackPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
