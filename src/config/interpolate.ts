/**
 * `${NAME}` and `${NAME:-default}` substitution over a parsed YAML tree, done before validation so that
 * numbers and URLs coming from the environment are validated like literal ones.
 */
export type Env = Readonly<Record<string, string | undefined>>

export type PathSegment = string | number

export interface Interpolated {
  value: unknown
  /** Variables that were referenced but unset (and had no default), with where they were used. */
  missing: Array<{ path: PathSegment[]; name: string }>
  /** Paths whose final string came, at least in part, from the environment. */
  fromEnv: PathSegment[][]
  /** Paths whose string had a placeholder replaced (from the environment or a default). */
  substituted: PathSegment[][]
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export function interpolateEnv(input: unknown, env: Env): Interpolated {
  const missing: Interpolated['missing'] = []
  const fromEnv: PathSegment[][] = []
  const substituted: PathSegment[][] = []

  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return substitute(node, path)
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]))
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {}
      for (const [key, child] of Object.entries(node)) {
        const value = walk(child, [...path, key])
        // A field that is nothing but an unset variable is treated as absent: an optional api_key then
        // simply has no key, and a required field reports the variable by name.
        if (value !== undefined) out[key] = value
      }
      return out
    }
    return node
  }

  const substitute = (text: string, path: PathSegment[]): string | undefined => {
    let usedEnv = false
    let unset = false
    let replaced = false
    const result = text.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
      replaced = true
      const value = env[name]
      if (value !== undefined && value !== '') {
        usedEnv = true
        return value
      }
      if (fallback !== undefined) return fallback
      unset = true
      missing.push({ path, name })
      return ''
    })
    if (usedEnv) fromEnv.push(path)
    if (replaced) substituted.push(path)
    // A value with an unset variable in it is absent as a whole: `sk-${KEY}` must not become the key "sk-",
    // and a required field then reports the variable by name.
    if (unset) return undefined
    return result
  }

  return { value: walk(input, []), missing, fromEnv, substituted }
}
