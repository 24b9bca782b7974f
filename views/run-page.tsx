import type { RunDetail } from '../src/storage/types.ts'
import { Layout } from './layout.tsx'
import { ImageThumbs } from './image-thumbs.tsx'
import { RunView, FollowUpFormShell, FollowUpFields, type RunViewProps } from './run-page-parts.tsx'
import { formatWhen } from './history-page.tsx'

/**
 * A stored run, shown as it was live, with "run again" and "continue". A blind run not voted on yet shows no
 * export links and a follow-up form that names no target.
 */
export function RunPage(props: {
  run: RunDetail
  view: RunViewProps
  canContinue: boolean
  hidden: boolean
  /** A running run with a live log: the page attaches to it (src/routes/live-runs.tsx) and follows it. */
  attach?: boolean
}) {
  const r = props.run
  return (
    <Layout title={`Run ${formatWhen(r.created_at)}`} active="history">
      <h1 class="visually-hidden">Run of {formatWhen(r.created_at)}</h1>
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/history">History</a> › {formatWhen(r.created_at)}
        {r.parent ? (
          <>
            {' '}
            · continues <a href={`/runs/${r.parent.run_id}`}>{r.parent.prompt.slice(0, 60)}</a>
          </>
        ) : (
          ''
        )}
        {r.study_id ? (
          <>
            {' '}
            · a cell of <a href={`/studies/${r.study_id}`}>a study</a>
          </>
        ) : (
          ''
        )}
        {r.children.map((c) => (
          <>
            {' '}
            · continued by <a href={`/runs/${c.run_id}`}>{c.prompt.slice(0, 60)}</a>
          </>
        ))}
      </nav>
      <div class="run-actions toolbar">
        <a class="button primary" href={`/?rerun=${r.run_id}`}>
          Run again
        </a>
        {props.hidden ? (
          <span class="badge">blind: models hidden until your vote</span>
        ) : (
          <>
            <a href={`/api/runs/${r.run_id}/export.json`} download>
              Export JSON
            </a>
            <a href={`/api/runs/${r.run_id}/export.csv`} download>
              Export CSV
            </a>
          </>
        )}
        {r.status === 'interrupted' ? (
          <span class="badge status-interrupted">interrupted: the server stopped during this run</span>
        ) : (
          ''
        )}
      </div>
      <ImageThumbs images={r.images} />
      <section id="run" class="run-area" aria-label="Results">
        <RunView {...props.view} />
      </section>
      {/* Outside #run, which its first message replaces: htmx stops reading a stream whose element is swapped.
          A GET on load rather than hx-sse:connect: htmx may process the page before its SSE extension registers
          (both scripts are deferred), and core always processes hx-get; the config restores what hx-sse:connect
          means (reconnect with Last-Event-ID, pause in a hidden tab, do not hold the element's request). */}
      {props.attach ? (
        <div
          id="live-attach"
          hx-get={`/runs/${r.run_id}/live`}
          hx-trigger="load"
          hx-sse:close="done"
          hx-config={JSON.stringify({ sse: { reconnect: true, pauseOnBackground: true, releaseOn: 'immediate' } })}
          hx-target="#run"
          hx-swap="innerHTML"
        ></div>
      ) : (
        ''
      )}
      {props.canContinue ? (
        <form
          id="followup"
          class="followup"
          hx-post="/runs"
          hx-target="#run"
          hx-swap="innerHTML"
          {...{ 'hx-status:4xx': 'target:#followup-errors swap:innerHTML' }}
        >
          <FollowUpFields runId={r.run_id} targets={props.hidden ? [] : r.targets} />
        </form>
      ) : (
        <FollowUpFormShell />
      )}
    </Layout>
  )
}
