import { readFileSync } from 'node:fs'
import { parseDocument } from 'yaml'
import { z } from 'zod'
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
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const line = e.linePos?.[0]
        const where = line ? `line ${line.line}, column ${line.col}: ` : ''
        return `${where}${e.code === 'DUPLICATE_KEY' ? 'duplicate key (ids must be unique)' : e.message.split('\n')[0]}`
      }),
    )
  }
  return validateConfig(doc.toJS() ?? {}, source, env)
}

export function validateConfig(raw: unknown, source: string, env: Env): LoadedConfig {
  const { value, missing, fromEnv } = interpolateEnv(raw, env)
  const parsed = ConfigSchema.safeParse(value)
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
