import type { ChatMessage, ContentPart } from '../providers/types.ts'
import { toDataUrl } from '../images/image-data.ts'
import type { StatementCache } from './statements.ts'
import { type ImageBytes, imageDataOf } from './run-images.ts'

/** Imported data could hold a parent cycle; no real conversation is this long. */
const MAX_TURNS = 1000

/** The chain of turns up to run `param` (a placeholder), oldest first; SQLite and PostgreSQL both read it. */
export const chainSql = (param: string) => `WITH RECURSIVE chain (id, depth) AS (
    SELECT id, 0 FROM runs WHERE id = ${param}
    UNION ALL
    SELECT r.parent_id, c.depth + 1 FROM runs r JOIN chain c ON r.id = c.id
    WHERE r.parent_id IS NOT NULL AND c.depth < ${MAX_TURNS}
  )
  SELECT runs.id, runs.prompt FROM chain JOIN runs ON runs.id = chain.id ORDER BY chain.depth DESC`
const CHAIN = chainSql('?')

const ANSWERS = `SELECT run_id, target, text FROM results
  WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY idx`

/**
 * Rebuilds what each target has seen, oldest turn first: the user prompt and that target's own answer,
 * for every turn of the chain it took part in. Turns where the target produced no text are left out for
 * that target: the model never answered them, and two user messages in a row are refused by some
 * providers. System prompts are not part of it: each run sets its own. Reasoning is never sent back.
 * A turn's images go with its prompt again (as content parts), so a follow-up can ask about them.
 */
export function conversationFrom(sql: StatementCache, runId: string): Record<string, ChatMessage[]> | null {
  const chain = sql.get(CHAIN).all(runId) as ChainTurn[]
  if (chain.length === 0) return null
  const ids = [...new Set(chain.map((t) => t.id))]
  const answers = sql.get(ANSWERS).all(JSON.stringify(ids)) as TurnAnswer[]
  return buildConversation(chain, answers, imageDataOf(sql, ids))
}

export interface ChainTurn {
  id: string
  prompt: string
}

export interface TurnAnswer {
  run_id: string
  target: string
  text: string
}

/** The histories from a chain of turns (oldest first, repeats ignored), their answers in order and images. */
export function buildConversation(
  chain: ReadonlyArray<ChainTurn>,
  answers: ReadonlyArray<TurnAnswer>,
  images: Map<string, ImageBytes[]>,
): Record<string, ChatMessage[]> {
  const seen = new Set<string>()
  const turns = chain.filter((t) => {
    if (seen.has(t.id)) return false
    seen.add(t.id)
    return true
  })
  const byRun = new Map<string, TurnAnswer[]>()
  for (const a of answers) byRun.set(a.run_id, [...(byRun.get(a.run_id) ?? []), a])
  const history: Record<string, ChatMessage[]> = {}
  for (const turn of turns) {
    const pictures = images.get(turn.id) ?? []
    const prompt: ChatMessage =
      pictures.length === 0
        ? { role: 'user', content: turn.prompt }
        : {
            role: 'user',
            content: [
              { type: 'text', text: turn.prompt },
              ...pictures.map((p): ContentPart => ({ type: 'image_url', image_url: { url: toDataUrl(p) } })),
            ],
          }
    for (const a of byRun.get(turn.id) ?? []) {
      let messages = history[a.target]
      if (!messages) {
        messages = []
        history[a.target] = messages
      }
      if (a.text === '') continue
      messages.push(prompt, { role: 'assistant', content: a.text })
    }
  }
  return history
}
