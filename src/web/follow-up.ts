import type { AppContext } from '../context.ts'
import { type ChatMessage, textOf } from '../providers/types.ts'
import type { LiveRun, RunRegistry } from './run-registry.ts'

/** What a follow-up run inherits from the run it continues. */
export interface FollowUp {
  /** Each target's conversation so far, by target. */
  history: Record<string, ChatMessage[]>
  /** The conversation's system prompt (history keeps it on the run, not in the messages). */
  system: string | undefined
  /** The parent's turn + 1: the same number history stores for it. */
  turn: number
  /** The parent's targets in column order (a blind run's follow-up form does not name them). */
  targets: string[]
}

/**
 * A follow-up continues each target's own conversation: from memory while the parent run is recent, else from
 * history. Null when the parent is in neither.
 */
export async function prepareFollowUp(
  ctx: AppContext,
  registry: RunRegistry,
  parentId: string,
): Promise<FollowUp | null> {
  const live = registry.get(parentId)
  if (live) {
    const system = live.request.targets[0]?.messages.find((m) => m.role === 'system')?.content
    return {
      history: conversationAfter(live),
      system: textOf(system ?? '') || undefined,
      turn: live.turn + 1,
      targets: live.request.targets.map((t) => t.target),
    }
  }
  const history = ctx.store ? await ctx.store.conversationFor(parentId) : null
  const parent = history && (await ctx.store?.getRun(parentId))
  if (!history || !parent) return null
  return { history, system: parent.system ?? undefined, turn: parent.turn + 1, targets: parent.targets }
}

/** Each target's own conversation so far: its earlier messages plus its own answer of the parent run. */
function conversationAfter(parent: Pick<LiveRun, 'request' | 'results'>): Record<string, ChatMessage[]> {
  const out: Record<string, ChatMessage[]> = {}
  parent.request.targets.forEach((t, i) => {
    const answer = parent.results[i]?.text ?? ''
    // A turn without an answer is dropped: upstreams reject empty assistant messages.
    out[t.target] = answer ? [...t.messages, { role: 'assistant', content: answer }] : t.messages.slice(0, -1)
  })
  return out
}
