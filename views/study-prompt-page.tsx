import type { CellView, StudyView } from '../src/studies/types.ts'
import type { SafeHtml } from '../src/render/markdown.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { SafeMarkup } from './safe-html.tsx'
import { formatInt, formatMs } from './format.ts'

/** One cell with its full answer, rendered by the markdown renderer (sanitized); null when the run is gone. */
export interface AnsweredCell {
  cell: CellView
  answer: SafeHtml | null
}

function CellBlock(props: { item: AnsweredCell; repeats: number }) {
  const c = props.item.cell
  return (
    <article class="study-answer" aria-label={`Repeat ${c.repeat}`}>
      <header class="study-answer-head">
        {props.repeats > 1 ? <strong>Repeat {c.repeat}</strong> : ''}{' '}
        <span class={`badge status-${c.status}`}>{c.status === 'error' ? (c.error?.kind ?? 'error') : c.status}</span>
        {c.expected ? <span class={`badge check-${c.expected}`}>{c.expected}</span> : ''}{' '}
        <span class="muted">
          {c.cost_usd === null ? (
            c.status === 'ok' || c.status === 'error' ? (
              <span class="cost-unknown">cost unknown{c.cost_reason ? ` (${c.cost_reason})` : ''}</span>
            ) : (
              ''
            )
          ) : (
            formatUsd(c.cost_usd)
          )}
          {c.ttft_ms !== null ? ` · TTFT ${formatMs(c.ttft_ms)}` : ''}
          {c.total_ms !== null ? ` · total ${formatMs(c.total_ms)}` : ''}
          {c.output_tokens !== null ? ` · ${formatInt(c.output_tokens)} output tokens` : ''}
        </span>{' '}
        {c.run_id ? <a href={`/runs/${c.run_id}`}>the run</a> : ''}
      </header>
      {c.status === 'error' ? <p class="error">{c.error?.message ?? 'error'}</p> : ''}
      {props.item.answer !== null ? (
        <div class="markdown answer-full">
          <SafeMarkup html={props.item.answer} />
        </div>
      ) : c.status === 'pending' || c.status === 'cancelled' ? (
        <p class="muted">Not run{c.status === 'cancelled' ? ' (cancelled)' : ' yet'}.</p>
      ) : (
        <p class="muted">The run of this cell is no longer in history.</p>
      )}
    </article>
  )
}

/** Every answer to one prompt of a study, side by side: a column per target, its repeats stacked. */
export function StudyPromptPage(props: {
  view: StudyView
  index: number
  prompt: string
  system: string | null
  answers: AnsweredCell[]
}) {
  const v = props.view
  const labels = new Map(v.summary.targets.map((t) => [t.target, t.label]))
  const n = v.prompt_count
  const position = `Prompt ${props.index + 1} of ${formatInt(n)}`
  return (
    <Layout title={`Prompt ${props.index + 1} · ${v.name}`} active="studies">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/studies">Studies</a> › <a href={`/studies/${v.study_id}`}>{v.name}</a> › {position}
      </nav>
      <h1>{position}</h1>
      <nav class="pager" aria-label="Other prompts">
        {props.index > 0 ? (
          <a rel="prev" href={`/studies/${v.study_id}/prompts/${props.index - 1}`}>
            ← Prompt {props.index}
          </a>
        ) : (
          ''
        )}
        {props.index + 1 < n ? (
          <a rel="next" href={`/studies/${v.study_id}/prompts/${props.index + 1}`}>
            Prompt {props.index + 2} →
          </a>
        ) : (
          ''
        )}
      </nav>
      <section class="card" aria-label="The prompt">
        {props.system ? (
          <p class="muted">
            System: <span class="study-system">{props.system}</span>
          </p>
        ) : (
          ''
        )}
        <p class="study-prompt-text">{props.prompt}</p>
      </section>
      {/* Columns are h3 and the answers' own headings h4, as on a run's page. */}
      <h2 class="visually-hidden">Answers</h2>
      <div class={`columns study-columns n${Math.min(v.targets.length, 4)}`}>
        {v.targets.map((target) => (
          <section class="col" aria-labelledby={`col-${v.targets.indexOf(target)}`}>
            <div class="col-head">
              <h3 id={`col-${v.targets.indexOf(target)}`}>{labels.get(target) ?? target}</h3>
              <span class="target-id">{target}</span>
            </div>
            {props.answers
              .filter((a) => a.cell.target === target)
              .map((item) => (
                <CellBlock item={item} repeats={v.repeats} />
              ))}
          </section>
        ))}
      </div>
    </Layout>
  )
}
