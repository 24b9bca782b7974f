import type { Catalog } from '../providers/catalog.ts'
import { openRuntime as openJuxta, type Runtime, StartupError } from '../runtime.ts'
import { type CliIo, CliError } from './cli-io.ts'
import { stripControls } from './terminal-text.ts'

/**
 * Juxta as the server composes it, from the same environment (JUXTA_CONFIG, JUXTA_DATA_DIR, ...): the same config,
 * key store and history database (SQLite or PostgreSQL), so a CLI run appears in history. Its log lines go to stderr.
 */
export async function openRuntime(io: CliIo): Promise<Runtime> {
  try {
    return await openJuxta(io.env, { cwd: io.cwd, log: (line) => io.stderr.write(`${stripControls(line)}\n`) })
  } catch (err) {
    // Config and data-directory problems: the server's own message (it names the file and the problem).
    if (err instanceof StartupError) throw new CliError(err.message)
    throw err
  }
}

/** The targets the compare page ticks on a first visit: the ready simulated ones. */
export function defaultTargets(catalog: Catalog): string[] {
  return catalog
    .targets()
    .filter((t) => t.provider.builtin === 'demo' && t.provider.keyStatus !== 'missing')
    .map((t) => t.target)
}
