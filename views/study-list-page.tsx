import type { StudyListItem } from '../src/studies/types.ts'
import { formatUsd } from '../src/pricing/money.ts'
import { Layout } from './layout.tsx'
import { formatInt } from './format.ts'
import { formatWhen } from './history-page.tsx'
import { statusText } from './study-parts.tsx'

/** Studies, newest first. */
export function StudyListPage(props: { studies: StudyListItem[]; unavailable?: boolean }) {
  return (
    <Layout title="Studies" active="studies">
      <h1>Studies</h1>
      <p class="toolbar">
        <a class="button primary" href="/studies/new">
          New study
        </a>
        <span class="muted">
          A study runs a set of prompts against several targets, several times each, and says with confidence intervals
          what each costs per request and how fast it answers.
        </span>
      </p>
      <div class="card">
        {props.unavailable ? (
          <p>Studies need the history database, which is not enabled on this server.</p>
        ) : props.studies.length === 0 ? (
          <p class="muted">No studies yet.</p>
        ) : (
          <section class="table-scroll" aria-label="Studies" tabindex={0}>
            <table class="data study-list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Targets</th>
                  <th scope="col">Spend</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {props.studies.map((s) => (
                  <tr data-study-id={s.study_id}>
                    <th scope="row" class="prompt-cell">
                      <a href={`/studies/${s.study_id}`}>{s.name}</a>
                    </th>
                    <td>
                      <span class={`badge status-${s.status}`}>{statusText(s)}</span>
                    </td>
                    <td>
                      {formatInt(s.progress.done)} / {formatInt(s.progress.total)}
                    </td>
                    <td class="study-targets">{s.targets.join(', ')}</td>
                    <td>
                      {s.spend_so_far_usd === null ? (
                        <span class="cost-unknown">unknown</span>
                      ) : (
                        formatUsd(s.spend_so_far_usd)
                      )}
                    </td>
                    <td data-value={s.created_at}>{formatWhen(s.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </div>
    </Layout>
  )
}
