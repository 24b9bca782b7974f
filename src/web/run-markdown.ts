import type { Cost } from '../domain/types.ts'
import type { TargetError } from '../providers/types.ts'
import { formatUsd } from '../pricing/money.ts'
import { formatInt, formatMs } from '../../views/format.ts'
import { costReasonText } from '../../views/cost-view.tsx'
import { STATUS_TEXT } from '../../views/run-view.tsx'

export interface RunMarkdownTarget {
  target: string
  label: string
  status: keyof typeof STATUS_TEXT
  ttft_ms: number | null
  total_ms: number | null
  input_tokens: number | null
  output_tokens: number | null
  cost: Cost
  error: TargetError | null
  text: string
}

export interface RunMarkdownInput {
  prompt: string
  system: string | null
  targets: RunMarkdownTarget[]
}

/** A table cell: one line, and a `|` that cannot end the cell. */
export function tableCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim()
}

/** Text under `> `: every line quoted, so a `#` or a fence in the prompt cannot break the document's outline. */
function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n')
}

function costText(cost: Cost): string {
  if (cost.source === 'unknown' || cost.total_usd === null) return `unknown (${costReasonText(cost.reason)})`
  return formatUsd(cost.total_usd)
}

/**
 * A whole run as Markdown, for "Copy as Markdown": the prompt, a table of the figures, and each answer under
 * a heading naming its target. Pure, so the live page and history build the same text from the same data.
 */
export function runMarkdown(run: RunMarkdownInput): string {
  const parts: string[] = ['## Prompt', '', quote(run.prompt), '']
  if (run.system) parts.push('System prompt:', '', quote(run.system), '')
  parts.push(
    '## Figures',
    '',
    '| Target | Status | TTFT | Total time | Tokens in | Tokens out | Cost |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  )
  for (const t of run.targets) {
    const cells = [
      `${t.label} (${t.target})`,
      STATUS_TEXT[t.status],
      formatMs(t.ttft_ms),
      formatMs(t.total_ms),
      formatInt(t.input_tokens),
      formatInt(t.output_tokens),
      costText(t.cost),
    ]
    parts.push(`| ${cells.map(tableCell).join(' | ')} |`)
  }
  for (const t of run.targets) {
    parts.push('', `## ${t.label} (${t.target})`, '')
    const error = t.error ? `${t.error.kind} — ${t.error.message.replace(/\s+/g, ' ')}` : ''
    if (error) parts.push(`_${STATUS_TEXT[t.status]}: ${error}_`, '')
    parts.push(t.text.trim() ? t.text.trimEnd() : '_(no answer)_')
  }
  return `${parts.join('\n')}\n`
}
