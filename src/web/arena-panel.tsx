import type { Child } from 'hono/jsx'
import type { AppContext } from '../context.ts'
import type { JudgeOutcome } from '../arena/run-judge.ts'
import { ArenaPanel } from '../../views/arena-panel.tsx'
import { columnLabel } from './column-info.ts'
import type { RunViewData } from './run-view-data.ts'

/** Targets that can judge now: configured and not waiting for a key. */
export function judgeTargets(ctx: AppContext): Array<{ target: string; label: string }> {
  return ctx
    .catalog()
    .targets()
    .filter((t) => t.provider.keyStatus !== 'missing')
    .map((t) => ({ target: t.target, label: t.model.label }))
}

/** The votes and judge section of a finished run's view; nothing without the arena store. */
export async function arenaPanel(
  ctx: AppContext,
  data: RunViewData,
  extra: { outcome?: JudgeOutcome; problem?: string } = {},
): Promise<Child> {
  if (!ctx.arena) return ''
  const labels = new Map(data.view.columns.map((c) => [c.target, c.label]))
  return (
    <ArenaPanel
      runId={data.view.runId}
      hidden={data.hidden}
      votes={data.hidden ? [] : data.votes}
      judges={judgeTargets(ctx)}
      labelOf={(t) => labels.get(t) ?? columnLabel(ctx, t)}
      {...extra}
    />
  )
}
