import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The checkout's root (where package.json is), whether running from src/ with tsx or from dist/src/. */
export function projectRoot(): string {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}
