import { REACHABILITY_TIMEOUT_MS } from '../providers/reachability.ts'
import { targetList } from '../providers/target-list.ts'
import { parseCommandArgs } from './args.ts'
import { type CliIo, EXIT, UsageError } from './cli-io.ts'
import { TARGETS_HELP } from './help.ts'
import { openRuntime } from './open-runtime.ts'
import { renderTable, stripControls, styles } from './terminal-text.ts'

const KEY_WORDS: Record<string, string> = {
  env: 'from env',
  config: 'from config',
  stored: 'stored',
  missing: 'missing',
  not_needed: 'not needed',
}

/** `juxta targets`: what GET /api/targets says, as a table or as its JSON. */
export async function targetsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('targets', args, { json: { type: 'boolean' } })
  if (values.help) {
    io.stdout.write(TARGETS_HELP)
    return EXIT.ok
  }
  if (positionals.length > 0) throw new UsageError(`targets takes no arguments, got "${positionals[0]}"`)
  const runtime = await openRuntime(io)
  try {
    const catalog = runtime.ctx.catalog()
    // A fresh process knows nothing of the local servers yet: it waits for their answer (or the probe's timeout)
    // where the page, whose server checked them at start, waits 0.3 s.
    const reach = await runtime.ctx.reachability.settle(catalog.providers, {
      maxWaitMs: REACHABILITY_TIMEOUT_MS + 500,
    })
    const list = targetList(catalog, reach)
    if (values.json) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
      return EXIT.ok
    }
    const rows = list.map((t) => [
      t.target,
      stripControls(t.label),
      KEY_WORDS[t.key_status] ?? t.key_status,
      t.reachable === null ? '' : t.reachable ? 'reachable' : stripControls(t.unreachable_reason ?? 'not reachable'),
    ])
    const style = styles(io.stdout.isTTY && !io.env.NO_COLOR)
    io.stdout.write(`${renderTable(['target', 'label', 'key', 'local server'], rows, { style }).join('\n')}\n`)
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
