import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../src/project-root.ts'

const root = projectRoot()

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)))
}

const files = [...sourceFiles('src'), ...sourceFiles('views')]
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm

/** Every file's imports: project files as paths from the root, packages by name. */
const graph = new Map(
  files.map((file) => {
    const text = readFileSync(join(root, file), 'utf8')
    const targets = [...text.matchAll(IMPORT)].map((m) => {
      const spec = m[1]!
      return spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : spec
    })
    return [file, targets] as const
  }),
)

/** The cycles among project files (type-only imports included: a circle of types is a circle of layers). */
function cycles(): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file)
  return found
}

const importsOf = (prefix: string) =>
  [...graph].filter(([file]) => file.startsWith(prefix)).flatMap(([file, targets]) => targets.map((t) => [file, t]))

describe('the import graph', () => {
  it('reads the source tree', () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.get('src/server.ts')).toContain('src/runtime.ts')
  })

  it('has no cycles between modules', () => {
    expect(cycles().map((c) => c.join(' → '))).toEqual([])
  })

  it('keeps domain code (engine, providers, pricing, storage, settings, presets, ...) free of HTTP and views', () => {
    const domain = [
      'src/engine/',
      'src/providers/',
      'src/pricing/',
      'src/storage/',
      'src/settings/',
      'src/domain/',
      'src/presets/',
      'src/compare/',
      'src/images/',
      'src/tokens/',
    ]
    const leaks = domain
      .flatMap((d) => importsOf(d))
      .filter(
        ([, t]) => t === 'hono' || t!.startsWith('hono/') || t!.startsWith('views/') || t!.startsWith('src/routes/'),
      )
    expect(leaks).toEqual([])
  })

  it('keeps shared types at the bottom: domain types import no layer, pricing never imports the engine', () => {
    expect(importsOf('src/domain/').filter(([, t]) => t!.startsWith('src/') && t !== 'src/providers/types.ts')).toEqual(
      [],
    )
    expect(importsOf('src/pricing/').filter(([, t]) => t!.startsWith('src/engine/'))).toEqual([])
    expect(importsOf('src/providers/').filter(([, t]) => /^src\/(engine|pricing|storage|web)\//.test(t!))).toEqual([])
  })

  it('keeps views away from providers, the engine and storage', () => {
    const leaks = importsOf('views/').filter(([, t]) => /^src\/(providers|engine|storage)\/(?!types\.ts$)/.test(t!))
    expect(leaks).toEqual([])
  })
})
