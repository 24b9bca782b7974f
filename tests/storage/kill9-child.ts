// Child process of kill9.test.ts: starts a long streaming demo run recorded into the database given as
// argv[2], prints "READY <run id> <chars>" once partial text is committed, then waits to be killed.
import { validateConfig } from '../../src/config/load.ts'
import { createContext } from '../../src/context.ts'
import { buildRequest, executeRun } from '../../src/engine/run-service.ts'
import { openSqliteRunStore } from '../../src/storage/sqlite-run-store.ts'

const path = process.argv[2]
if (!path) throw new Error('usage: kill9-child.ts <db path>')

const config = validateConfig(
  {
    providers: {
      demo: {
        builtin: 'demo',
        models: [
          { id: 'fast', price: { input: 0.1, output: 0.4 }, simulate: { ttft_ms: 5, tokens_per_s: 4000 } },
          // About 100 seconds of streaming: it is always killed mid-run.
          {
            id: 'long',
            price: { input: 1, output: 2 },
            simulate: { ttft_ms: 20, tokens_per_s: 30, answer_tokens: 3000 },
          },
        ],
      },
    },
  },
  'kill9 child',
  {},
)
const store = openSqliteRunStore(path)
const ctx = createContext(config, { store, log: (line) => process.stderr.write(`${line}\n`) })
const prompt = 'Tell a very long story'
const request = buildRequest({ prompt, targets: ['demo/long', 'demo/fast'], params: {} })
void executeRun(ctx, request, { prompt, system: null, parent_id: null }, { signal: new AbortController().signal })

const poll = setInterval(() => {
  void store.getRun(request.run_id).then((run) => {
    const long = run?.results[0]
    const fast = run?.results[1]
    if (long && long.text.length > 60 && fast?.status === 'ok') {
      process.stdout.write(`READY ${request.run_id} ${long.text.length}\n`)
      clearInterval(poll)
    }
  })
}, 50)

// Never outlive a test that failed before killing it.
setTimeout(() => process.exit(3), 60_000)
