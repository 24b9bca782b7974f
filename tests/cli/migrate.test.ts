import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRuntime } from '../../src/runtime.ts'
import { openPgDatabase } from '../../src/storage/postgres/pg-database.ts'
import { PgArenaStore } from '../../src/storage/postgres/pg-arena-store.ts'
import { PgPresetStore } from '../../src/storage/postgres/pg-preset-store.ts'
import { PgRunStore } from '../../src/storage/postgres/pg-run-store.ts'
import { openPgSettings } from '../../src/team/pg-settings.ts'
import { type CliSandbox, cliSandbox, ensureBuilt, runJuxta } from '../helpers/cli.ts'
import { type PgServer, startPostgres } from '../helpers/pg-server.ts'
import { closedLoopbackPort } from '../helpers/ports.ts'
import { demoConfig } from '../storage/fixtures.ts'

const SECRET = 'migrate-secret-0123456789abcdef'
const KEY = 'sk-migrate-test-key-0000000000000001'

let pg: PgServer
let sandbox: CliSandbox
const runIds: string[] = []

beforeAll(async () => {
  pg = await startPostgres()
  sandbox = cliSandbox(demoConfig)
  // A laptop's history: three runs, a vote, a preset, a stored key and a custom provider (follow-ups are
  // covered by tests/storage/copy-history.test.ts).
  const runtime = buildRuntime({ ...sandbox.env, JUXTA_SECRET: SECRET }, { log: () => {} })
  const post = async (body: object) => {
    const res = await runtime.app.request('/api/compare', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { run_id: string }).run_id
  }
  runIds.push(await post({ prompt: 'What is a B-tree?', targets: ['demo/fast', 'demo/thinker'] }))
  runIds.push(await post({ prompt: 'And an LSM tree?', targets: ['demo/fast', 'demo/thinker'] }))
  runIds.push(await post({ prompt: 'Cost of a cache hit', targets: ['demo/unpriced'] }))
  const vote = await runtime.app.request(`/api/runs/${runIds[0]}/vote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ winner: 'demo/thinker' }),
  })
  expect(vote.status).toBe(200)
  await runtime.ctx.presets!.create({
    name: 'Databases',
    prompt: 'Explain WAL',
    system: null,
    targets: ['demo/fast'],
    temperature: null,
    max_tokens: null,
  })
  await runtime.ctx.keys.set('openai', 'https://api.openai.com/v1', KEY)
  await runtime.ctx.customProviders.put('lab', {
    name: 'Lab',
    base_url: 'https://llm.lab.example/v1',
    models: [{ id: 'm1' }],
  } as never)
  await runtime.close()
  await ensureBuilt()
}, 180_000)

afterAll(async () => {
  await pg?.stop()
  sandbox?.remove()
})

describe('juxta migrate', () => {
  it('copies runs, votes, presets, keys and providers into PostgreSQL, and a second run skips them', async () => {
    const url = await pg.createDatabase()
    const env = { ...sandbox.env, JUXTA_SECRET: SECRET }
    const first = await runJuxta(['migrate', '--to', url, '--batch', '2'], { env })
    expect(first.stderr).not.toContain('Error')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('3 run(s) imported, 0 skipped')
    expect(first.stdout).toContain('1 preset(s), 1 key(s), 1 custom provider(s)')

    const pool = await openPgDatabase(url)
    const source = buildRuntime({ ...sandbox.env, JUXTA_SECRET: SECRET }, { log: () => {} })
    try {
      const target = new PgRunStore(pool)
      for (const id of runIds) expect(await target.getRun(id)).toEqual(await source.ctx.store!.getRun(id))
      expect((await new PgArenaStore(pool).votesOf(runIds[0]!)).map((v) => v.winner)).toEqual(['demo/thinker'])
      expect((await new PgPresetStore(pool).list()).map((p) => p.name)).toEqual(['Databases'])
      const settings = await openPgSettings(pool, { secret: SECRET })
      expect(settings.keys.get('openai', 'https://api.openai.com/v1')).toBe(KEY)
      expect(settings.customProviders.get('lab')?.base_url).toBe('https://llm.lab.example/v1')
      // Sealed: the key's text is nowhere in the table.
      const { rows } = await pool.query('SELECT body FROM settings_documents')
      expect(JSON.stringify(rows)).not.toContain(KEY)
    } finally {
      await source.close()
    }

    const again = await runJuxta(['migrate', '--to', url, '--json'], { env })
    expect(again.code).toBe(0)
    const outcome = JSON.parse(again.stdout) as { imported: number; skipped: number; keys: number; providers: number }
    expect(outcome).toMatchObject({ imported: 0, skipped: 3, keys: 0, providers: 0 })
    expect((await pool.query('SELECT count(*)::int AS n FROM runs')).rows[0].n).toBe(3)
    await pool.end()
  })

  it('says what is wrong with the target, in one line and without its password', async () => {
    const noSecret = await runJuxta(['migrate', '--to', await pg.createDatabase()], { env: sandbox.env })
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toContain('needs JUXTA_SECRET')

    const env = { ...sandbox.env, JUXTA_SECRET: SECRET }
    const wrongKind = await runJuxta(['migrate', '--to', 'mysql://db/x'], { env })
    expect(wrongKind.code).toBe(2)
    expect(wrongKind.stderr).toContain('--to must start with postgres://')

    const port = await closedLoopbackPort()
    const away = await runJuxta(['migrate', '--to', `postgres://juxta:hunter2@127.0.0.1:${port}/juxta`], { env })
    expect(away.code).toBe(1)
    expect(away.stderr).toContain(`cannot use postgres://juxta@127.0.0.1:${port}/juxta`)
    expect(away.stderr).not.toContain('hunter2')
    expect(away.stderr.trim().split('\n')).toHaveLength(1)
  })
})
