import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'

export const PRIVATE_MODE = 0o600

/**
 * Replaces a file atomically with owner-only permissions: written to a new 0600 file beside it, flushed,
 * then renamed over the old one, so a crash leaves either the old or the new contents, never half, and the
 * file is never readable by others, not even for a moment.
 */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', PRIVATE_MODE)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
}

/** Reads a private file, first narrowing its mode to 0600 if someone widened it. Undefined when absent. */
export function readPrivateFile(path: string, log: (line: string) => void): string | undefined {
  if (!existsSync(path)) return undefined
  const mode = statSync(path).mode & 0o777
  if (mode & 0o077) {
    chmodSync(path, PRIVATE_MODE)
    log(`${path}: permissions were ${mode.toString(8)}, set to 600`)
  }
  return readFileSync(path, 'utf8')
}

/**
 * Sets (or, with `next` undefined, deletes) one entry, then persists; when persisting fails the map is put
 * back as it was, so memory never claims what the file does not hold.
 */
export function changeThenSave<K, V>(map: Map<K, V>, key: K, next: V | undefined, save: () => void): void {
  const previous = map.get(key)
  const had = map.has(key)
  if (next !== undefined) map.set(key, next)
  else map.delete(key)
  try {
    save()
  } catch (err) {
    if (had) map.set(key, previous as V)
    else map.delete(key)
    throw err
  }
}
