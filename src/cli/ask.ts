import { MAX_MAX_TOKENS, MAX_TEMPERATURE } from '../domain/run-input.ts'
import { runResponse } from '../engine/run-response.ts'
import { buildRequest, executeRun } from '../engine/run-service.ts'
import type { ApiIssue } from '../http/api-error.ts'
import { loadTokenCounter } from '../tokens/token-count.ts'
import { toRunInput, validateCompare } from '../routes/compare-input.ts'
import { numberOption, parseCommandArgs } from './args.ts'
import { askReport, LiveColumns } from './ask-view.ts'
import { type CliIo, EXIT, UsageError } from './cli-io.ts'
import { ASK_HELP } from './help.ts'
import { defaultTargets, openRuntime } from './open-runtime.ts'
import { styles } from './terminal-text.ts'

/** The compare validation's issues as one line; a target's issue names the target itself. */
export function issuesLine(issues: ReadonlyArray<ApiIssue>): string {
  const parts = issues.map((i) => (i.path && !i.path.startsWith('targets') ? `${i.path}: ${i.message}` : i.message))
  const aboutTargets = issues.some((i) => i.path?.startsWith('targets'))
  return parts.join('; ') + (aboutTargets ? ' (juxta targets lists them)' : '')
}

/** `juxta ask`: one compare, live in a terminal, as text into a pipe, or as the API's JSON. */
export async function askCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('ask', args, {
    target: { type: 'string', short: 't', multiple: true },
    system: { type: 'string' },
    temperature: { type: 'string' },
    'max-tokens': { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) {
    io.stdout.write(ASK_HELP)
    return EXIT.ok
  }
  if (positionals.length === 0) throw new UsageError('ask needs a PROMPT (or - to read it from stdin)')
  if (positionals.length > 1) {
    throw new UsageError(`ask takes one PROMPT, got ${positionals.length} arguments (quote the prompt)`)
  }
  const temperature = numberOption('temperature', values.temperature, { min: 0, max: MAX_TEMPERATURE })
  const maxTokens = numberOption('max-tokens', values['max-tokens'], { min: 1, max: MAX_MAX_TOKENS, integer: true })
  const prompt = positionals[0] === '-' ? await io.readStdin() : positionals[0]!

  const runtime = await openRuntime(io)
  try {
    const { ctx } = runtime
    const targets = values.target ?? defaultTargets(ctx.catalog())
    if (targets.length === 0) {
      throw new UsageError('no target given and no demo target configured: name targets with -t (see juxta targets)')
    }
    const checked = validateCompare(ctx, {
      prompt,
      targets,
      ...(values.system !== undefined ? { system: values.system } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    })
    if (!checked.ok) throw new UsageError(issuesLine(checked.issues))
    const input = toRunInput(checked.body)
    const request = buildRequest(input)
    const meta = { prompt: input.prompt, system: input.system ?? null, parent_id: null, images: input.images }

    if (input.targets.some((t) => ctx.catalog().find(t)?.provider.builtin === 'demo')) {
      // The simulator counts tokens with Juxta's tokenizer, loaded on first use: loaded before the clock starts, so
      // a simulated target's first TTFT is not the time this fresh process takes to load it.
      await loadTokenCounter()
    }
    const style = styles(io.stdout.isTTY && !io.env.NO_COLOR)
    const live = !values.json && io.stdout.isTTY ? new LiveColumns(input.targets, io.stdout, style) : null
    const run = await executeRun(ctx, request, meta, { signal: io.signal, onEvent: live?.event })
    live?.finish()
    const response = runResponse(run)
    if (values.json) {
      io.stdout.write(`${JSON.stringify(response, null, 2)}\n`)
    } else {
      io.stdout.write(
        askReport(response.results, response.summary, {
          columns: io.stdout.columns,
          style,
          sideBySide: io.stdout.isTTY,
        }),
      )
    }
    if (io.signal.aborted) return EXIT.interrupted
    return run.results.every((r) => r.status === 'ok') ? EXIT.ok : EXIT.failed
  } finally {
    await runtime.close()
  }
}
