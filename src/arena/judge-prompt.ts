import type { ChatMessage } from '../providers/types.ts'

/**
 * The judge's instructions, fixed and shown on the run page as they are sent. The answers are only ever called
 * "Answer A" and "Answer B"; the judge never learns which model wrote them.
 */
export const JUDGE_SYSTEM_PROMPT = [
  'You are an impartial judge comparing two answers to the same request.',
  'Judge which answer better serves the person who asked: correctness first, then helpfulness, completeness',
  'and clarity. The order in which the answers are shown and their length must not influence you.',
  'Explain your reasoning briefly. Then end your reply with one last line that is exactly one of:',
  'VERDICT: A',
  'VERDICT: B',
  'VERDICT: TIE',
].join('\n')

/** The user message of one comparison: the request (and its system prompt, if any), then both answers. */
export function judgeUserPrompt(options: { prompt: string; system?: string | null; a: string; b: string }): string {
  const system = options.system ? `[System prompt of the request]\n${options.system}\n\n` : ''
  return (
    `${system}[Request]\n${options.prompt}\n\n` +
    `[Answer A]\n${options.a}\n[End of Answer A]\n\n` +
    `[Answer B]\n${options.b}\n[End of Answer B]`
  )
}

export function judgeMessages(options: {
  prompt: string
  system?: string | null
  a: string
  b: string
}): ChatMessage[] {
  return [
    { role: 'system', content: JUDGE_SYSTEM_PROMPT },
    { role: 'user', content: judgeUserPrompt(options) },
  ]
}

export type Verdict = 'A' | 'B' | 'TIE'

/**
 * The verdict of one reply: its last non-empty line must be `VERDICT: A`, `VERDICT: B` or `VERDICT: TIE`
 * (surrounding spaces allowed, nothing else: no bold, no punctuation, no lower case). Anything else is no
 * verdict (null), never a guess.
 */
export function parseVerdict(reply: string): Verdict | null {
  const lines = reply.split(/\r?\n/).filter((l) => l.trim() !== '')
  const last = lines[lines.length - 1]?.trim() ?? ''
  const m = /^VERDICT: (A|B|TIE)$/.exec(last)
  return m ? (m[1] as Verdict) : null
}
