import { PgArenaStore } from '../storage/postgres/pg-arena-store.ts'
import { openPgDatabase } from '../storage/postgres/pg-database.ts'
import { PgPresetStore } from '../storage/postgres/pg-preset-store.ts'
import { PgRunStore } from '../storage/postgres/pg-run-store.ts'
import { openPgSettings } from '../team/pg-settings.ts'
import { describePgUrl } from '../storage/postgres/pg-url.ts'
import { copyHistory } from '../storage/copy-history.ts'
import { buildRuntime, StartupError } from '../runtime.ts'
import { readTeamEnv } from '../team/team-env.ts'
import { parseCommandArgs, numberOption } from './args.ts'
import { type CliIo, CliError, EXIT, UsageError } from './cli-io.ts'
import { MIGRATE_HELP } from './help.ts'
import { stripControls } from './terminal-text.ts'

/**
 * `juxta migrate --to postgres://…`: the SQLite history of JUXTA_DATA_DIR (runs, images, votes, blind letters,
 * presets), its stored keys and its custom providers, copied into PostgreSQL through the export format. Runs the
 * target already holds are skipped, so it can be run again after an interruption. Studies stay behind.
 */
export async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('migrate', args, {
    to: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) {
    io.stdout.write(MIGRATE_HELP)
    return EXIT.ok
  }
  if (positionals.length > 0) throw new UsageError(`migrate takes no arguments, got "${positionals[0]}"`)
  if (!values.to) throw new UsageError('migrate needs --to postgres://USER:PASSWORD@HOST:PORT/DATABASE')
  const batchSize = numberOption('batch', values.batch, { min: 1, max: 5000, integer: true }) ?? 250
  // The target's rules are the team runtime's: a PostgreSQL URL, and JUXTA_SECRET to seal the keys it receives.
  const team = readTeamEnv({ ...io.env, DATABASE_URL: values.to, REDIS_URL: undefined })
  if (!team.ok) throw new UsageError(team.message.replace(/^DATABASE_URL/, '--to'))
  const log = (line: string) => io.stderr.write(`${stripControls(line)}\n`)
  const where = describePgUrl(values.to)

  let source: ReturnType<typeof buildRuntime>
  try {
    // The source is always the SQLite history of the data directory, whatever DATABASE_URL says.
    source = buildRuntime({ ...io.env, DATABASE_URL: undefined, REDIS_URL: undefined }, { cwd: io.cwd, log })
  } catch (err) {
    if (err instanceof StartupError) throw new CliError(err.message)
    throw err
  }
  try {
    let pool: Awaited<ReturnType<typeof openPgDatabase>>
    try {
      pool = await openPgDatabase(values.to, { log })
    } catch (err) {
      throw new CliError(`cannot use ${where}: ${err instanceof Error ? err.message : err}`)
    }
    try {
      const { ctx } = source
      const history = await copyHistory({
        from: { store: ctx.store!, arena: ctx.arena, presets: ctx.presets },
        to: { store: new PgRunStore(pool), arena: new PgArenaStore(pool), presets: new PgPresetStore(pool) },
        secrets: ctx.secrets(),
        batchSize,
        onBatch: (p) => {
          if (!values.json) io.stderr.write(`migrate: ${p.read} runs read, ${p.imported} imported\n`)
        },
      })
      const target = await openPgSettings(pool, { secret: io.env.JUXTA_SECRET, log })
      // Settings the team already has win: a provider or key of the same id is left as it is.
      let keys = 0
      for (const k of ctx.keys.storedKeys()) {
        if (target.keys.state(k.providerId, k.origin).kind !== 'none') continue
        await target.keys.set(k.providerId, k.origin, k.key)
        keys++
      }
      let providers = 0
      for (const [id, provider] of ctx.customProviders.all()) {
        if (target.customProviders.has(id)) continue
        await target.customProviders.put(id, provider)
        providers++
      }
      const outcome = { to: where, ...history, keys, providers }
      if (values.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`)
      else {
        io.stdout.write(
          `Migrated to ${where}: ${history.imported} run(s) imported, ${history.skipped} skipped ` +
            `(already there or refused), ${history.presets.added + history.presets.replaced} preset(s), ` +
            `${keys} key(s), ${providers} custom provider(s). Studies are not carried over.\n`,
        )
        for (const s of history.skipped_runs.filter((r) => !/already/i.test(r.reason)).slice(0, 10)) {
          io.stdout.write(`  skipped ${s.run_id ?? `#${s.index}`}: ${s.reason}\n`)
        }
      }
      return EXIT.ok
    } finally {
      await pool.end().catch(() => {})
    }
  } finally {
    await source.close()
  }
}
