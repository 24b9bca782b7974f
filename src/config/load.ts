import { readFileSync } from 'node:fs'
import { LineCounter, isPair, isScalar, parseDocument, visit, type Document } from 'yaml'
import type { z } from 'zod'
import { ConfigSchema, type AppConfig } from './schema.ts'
import { interpolateEnv, type Env, type PathSegment } from './interpolate.ts'

export class ConfigError extends Error {
  readonly problems: string[]
  constructor(source: string, problems: string[]) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export type KeySource = 'env' | 'config'

export interface LoadedConfig {
  config: AppConfig
  /** Where each provider's api_key came from, for the key status shown to users. */
  keySources: Record<string, KeySource>
  source: string
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)'
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`))
    .join('')
}

/** Reads, interpolates and validates a YAML config file. Throws ConfigError listing every problem. */
export function loadConfigFile(path: string, env: Env): LoadedConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(path, [code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'error'})`])
  }
  return parseConfigText(text, path, env)
}

export function parseConfigText(text: string, source: string, env: Env): LoadedConfig {
  // Without prettyErrors the errors carry no line numbers; the counter supplies them.
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0])
        const where = `line ${line}, column ${col}`
        if (e.code === 'DUPLICATE_KEY') {
          const path = keyPathAt(doc, e.pos[0])
          return `${path ? `${formatPath(path)} (${where})` : where}: duplicate key (ids must be unique)`
        }
        return `${where}: ${e.message.split('\n')[0]}`
      }),
    )
  }
  return validateConfig(doc.toJS() ?? {}, source, env)
}

/** The key path (e.g. providers.openai) of the mapping key that starts at `offset`, if any. */
function keyPathAt(doc: Document, offset: number): string[] | undefined {
  let found: string[] | undefined
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined
      const parents = ancestors.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : '?'))
      found = [...parents, String(pair.key.value)]
      return visit.BREAK
    },
  })
  return found
}

export function validateConfig(raw: unknown, source: string, env: Env): LoadedConfig {
  const { value, missing, fromEnv, substituted } = interpolateEnv(raw, env)
  let parsed = ConfigSchema.safeParse(value)
  if (!parsed.success) {
    // `${IDLE:-5000}` is text after substitution; where the schema wants a number or a boolean, read it as one.
    const retyped = retypeSubstituted(value, parsed.error.issues, substituted)
    if (retyped !== undefined) parsed = ConfigSchema.safeParse(retyped)
  }
  const problems: string[] = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(describeIssue(issue, missing))
  }
  if (problems.length > 0) throw new ConfigError(source, problems)
  const config = parsed.data!
  const keySources: Record<string, KeySource> = {}
  for (const [id, provider] of Object.entries(config.providers)) {
    if (provider.api_key === undefined) continue
    const envKey = fromEnv.some((p) => p[0] === 'providers' && p[1] === id && p[2] === 'api_key')
    keySources[id] = envKey ? 'env' : 'config'
  }
  return { config, keySources, source }
}

/**
 * A copy of `value` in which substituted strings are turned into the number or boolean the schema asked
 * for at that path; undefined when there is nothing to convert.
 */
function retypeSubstituted(value: unknown, issues: readonly z.core.$ZodIssue[], substituted: PathSegment[][]): unknown {
  const wanted = new Set(substituted.map((p) => formatPath(p)))
  const conversions: Array<{ path: PropertyKey[]; to: unknown }> = []
  const visitIssues = (list: readonly z.core.$ZodIssue[], prefix: PropertyKey[]) => {
    for (const issue of list) {
      const path = [...prefix, ...issue.path]
      if (issue.code === 'invalid_union') {
        for (const branch of issue.errors) visitIssues(branch, path)
        continue
      }
      if (issue.code !== 'invalid_type' || !wanted.has(formatPath(path))) continue
      const text = valueAt(value, path)
      if (typeof text !== 'string') continue
      if (issue.expected === 'number' && text.trim() !== '' && Number.isFinite(Number(text)))
        conversions.push({ path, to: Number(text) })
      else if (issue.expected === 'boolean' && (text === 'true' || text === 'false'))
        conversions.push({ path, to: text === 'true' })
    }
  }
  visitIssues(issues, [])
  if (conversions.length === 0) return undefined
  const copy = structuredClone(value)
  for (const { path, to } of conversions) {
    const parent = valueAt(copy, path.slice(0, -1)) as Record<PropertyKey, unknown> | undefined
    if (parent && typeof parent === 'object') parent[path.at(-1) as PropertyKey] = to
  }
  return copy
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[seg]
  }
  return node
}

function describeIssue(issue: z.core.$ZodIssue, missing: Array<{ path: PathSegment[]; name: string }>): string {
  const path = formatPath(issue.path)
  const unset = missing.find((m) => formatPath(m.path) === path)
  if (unset) return `${path}: uses \${${unset.name}}, which is not set in the environment`
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key "${k}"`).join('; ')
  }
  if (issue.code === 'invalid_key') return `${path}: ${issue.issues[0]?.message ?? issue.message}`
  return `${path}: ${issue.message}`
}
