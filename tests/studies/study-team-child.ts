import { StudyTeam } from '../../src/studies/study-team.ts'
// Child process of study-team.test.ts: one instance of a team (its own API key) that creates a study on the
// shared SQLite file and Redis given in argv, prints "STUDY <id>", then works its cells until it is killed.
import { createContext } from '../../src/context.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'
import { SqliteStudyStore } from '../../src/storage/sqlite-study-store.ts'
import { DefaultStudyService } from '../../src/studies/study-service.ts'
import { fakeConfig, loadTestConfig } from '../helpers/juxta.ts'

const [path, redis, prefix, upstream, model, key] = process.argv.slice(2)
if (!path || !redis || !prefix || !upstream || !model || !key) {
  throw new Error('usage: study-team-child.ts <db> <redis url> <prefix> <upstream url> <model> <api key>')
}
const log = (line: string) => process.stderr.write(`${line}\n`)
const runStore = openSqliteRunStore(path)
const providers = Object.fromEntries(
  ['p1', 'p2'].map((id) => [id, { base_url: upstream, api_key: key, models: [model] }]),
)
const ctx = createContext(loadTestConfig(fakeConfig(providers)), { store: runStore, log })
const studies = new DefaultStudyService({
  engine: ctx,
  store: new SqliteStudyStore(runStore.db),
  passes: () => true,
  log,
  // Short locks so the test's other instance takes over within seconds, not the default 30.
  team: (deps) =>
    new StudyTeam(
      { redis, prefix, instanceId: 'child', log, lockDurationMs: 2000, stalledIntervalMs: 1000, slotTtlMs: 2000 },
      deps,
    ),
})
const created = await studies.create({
  name: 'killed',
  prompts: Array.from({ length: 8 }, (_, i) => ({ prompt: `question ${i + 1}` })),
  targets: [`p1/${model}`, `p2/${model}`],
  repeats: 1,
  concurrency: 2,
  params: {},
})
if (!created.ok) throw new Error(created.message)
process.stdout.write(`STUDY ${created.study_id}\n`)

// Never outlive a test that failed before killing it.
setTimeout(() => process.exit(3), 60_000)
