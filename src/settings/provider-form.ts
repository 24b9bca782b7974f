import type { ProviderConfig } from '../config/schema.ts'
import type { Issue } from './custom-providers.ts'

type ModelConfig = ProviderConfig['models'][number]
export type FormBody = Record<string, string | File | Array<string | File>>

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string')

/**
 * One model per line: `model-id`, or `model-id input output [cached_input]` with prices in USD per 1M tokens.
 * Prices stay numbers-or-strings so the config schema reports a bad one in its own words.
 */
export function parseModelLines(text: string): { models: ModelConfig[]; issues: Issue[] } {
  const models: ModelConfig[] = []
  const issues: Issue[] = []
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const parts = line
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean)
    if (parts.length === 0) continue
    const [id, ...prices] = parts as [string, ...string[]]
    if (prices.length === 0) {
      models.push(id)
      continue
    }
    const nums = prices.map((p) => Number(p.replace(/^\$/, '')))
    if ((prices.length !== 2 && prices.length !== 3) || nums.some((n) => !Number.isFinite(n))) {
      issues.push({
        path: `models line ${i + 1}`,
        message: 'write "model-id" or "model-id input output [cached input]" (USD per 1M tokens)',
      })
      continue
    }
    const [input, output, cached] = nums as [number, number, number | undefined]
    models.push({ id, price: { input, output, ...(cached !== undefined ? { cached_input: cached } : {}) } })
  }
  return { models, issues }
}

export function modelLines(models: ProviderConfig['models']): string {
  return models
    .map((m) => {
      if (typeof m === 'string') return m
      const p = m.price
      return p ? `${m.id} ${p.input} ${p.output}${p.cached_input !== undefined ? ` ${p.cached_input}` : ''}` : m.id
    })
    .join('\n')
}

export interface ProviderForm {
  id: string
  /** The object handed to the config schema. */
  raw: Record<string, unknown>
  /** A key typed into the add form (write-only; never rendered back). */
  apiKey: string
  issues: Issue[]
}

/** Form fields → the shape of a provider in the config file, so one schema validates both. */
export function readProviderForm(form: FormBody): ProviderForm {
  const { models, issues } = parseModelLines(str(form.models))
  for (const picked of list(form.model))
    if (!models.some((m) => (typeof m === 'string' ? m : m.id) === picked)) models.push(picked)
  const name = str(form.name).trim()
  const pricing = str(form.pricing).trim()
  const raw: Record<string, unknown> = {
    ...(name ? { name } : {}),
    base_url: str(form.base_url).trim(),
    ...(str(form.no_key) ? { requires_key: false } : {}),
    ...(pricing ? { pricing } : {}),
    models,
  }
  return { id: str(form.id).trim(), raw, apiKey: str(form.api_key).trim(), issues }
}
