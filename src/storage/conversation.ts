import type { ChatMessage, ContentPart } from '../providers/types.ts'
import { toDataUrl } from '../images/image-data.ts'
import type { StatementCache } from './statements.ts'
import { imageDataOf } from './run-images.ts'

/** Imported data could hold a parent cycle; no real conversation is this long. */
const MAX_TURNS = 1000

const CHAIN = `WITH RECURSIVE chain (id, depth) AS (
    SELECT id, 0 FROM runs WHERE id = ?
    UNION ALL
    SELECT r.parent_id, c.depth + 1 FROM runs r JOIN chain c ON r.id = c.id
    WHERE r.parent_id IS NOT NULL AND c.depth < ${MAX_TURNS}
  )
  SELECT runs.id, runs.prompt FROM chain JOIN runs ON runs.id = chain.id ORDER BY chain.depth DESC`

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
  const chain = sql.get(CHAIN).all(runId) as Array<{ id: string; prompt: string }>
  if (chain.length === 0) return null
  const seen = new Set<string>()
  const turns = chain.filter((t) => {
    if (seen.has(t.id)) return false
    seen.add(t.id)
    return true
  })
  const answers = sql.get(ANSWERS).all(JSON.stringify(turns.map((t) => t.id))) as Array<{
    run_id: string
    target: string
    text: string
  }>
  const byRun = new Map<string, typeof answers>()
  for (const a of answers) byRun.set(a.run_id, [...(byRun.get(a.run_id) ?? []), a])
  const images = imageDataOf(
    sql,
    turns.map((t) => t.id),
  )
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
