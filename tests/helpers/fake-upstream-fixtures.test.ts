import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES_DIR, RECORDED_FIXTURES, readFixture, startFakeUpstream, type FakeUpstream } from './fake-upstream.ts'

// A plain clone has nothing beside it: every recorded response the fake upstream serves must live in
// tests/fixtures, with its provenance in SOURCES.md.

const REPO = resolve(import.meta.dirname, '../..')
const NOT_FIXTURES = new Set(['SOURCES.md', '.gitattributes'])

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'artifacts' ? [] : sourceFiles(path)
    return /\.tsx?$/.test(e.name) ? [path] : []
  })
}

/** Fixture names quoted in tests and benchmarks: `'name'`, `'fixture:name'` or `'provider/fixture:name'`. */
function referencedFixtures(): Map<string, string> {
  const found = new Map<string, string>()
  const literal = /['"`](?:[\w-]+\/)?(?:fixture:)?([\w.-]+_[\w.-]*\.(?:jsonl|json|sse))['"`]/g
  const files = [...sourceFiles(join(REPO, 'tests')), ...sourceFiles(join(REPO, 'bench'))]
  // This file quotes a made-up name on purpose.
  for (const file of files.filter((f) => f !== import.meta.filename)) {
    for (const m of readFileSync(file, 'utf8').matchAll(literal)) found.set(m[1]!, relative(REPO, file))
  }
  return found
}

const sources = () => readFileSync(join(FIXTURES_DIR, 'SOURCES.md'), 'utf8')
const listedInSources = () => [...sources().matchAll(/^### (\S+)$/gm)].map((m) => m[1]!)

describe('recorded fixtures live in the repository', () => {
  it('reads them from tests/fixtures', () => {
    expect(FIXTURES_DIR).toBe(join(REPO, 'tests', 'fixtures'))
  })

  it('has every recorded fixture as a non-empty file in tests/fixtures', () => {
    const missing = RECORDED_FIXTURES.filter((f) => {
      try {
        return !statSync(join(FIXTURES_DIR, f)).isFile() || statSync(join(FIXTURES_DIR, f)).size === 0
      } catch {
        return true
      }
    })
    expect(missing).toEqual([])
  })

  it('keeps no file in tests/fixtures that is not a listed fixture', () => {
    const stray = readdirSync(FIXTURES_DIR).filter((f) => !NOT_FIXTURES.has(f) && !RECORDED_FIXTURES.includes(f))
    expect(stray).toEqual([])
  })

  it('gives every fixture its own provenance entry in SOURCES.md, and lists no other', () => {
    const listed = listedInSources()
    expect([...listed].sort()).toEqual([...RECORDED_FIXTURES].sort())
    // Each entry names where the file came from.
    for (const section of sources().split(/^### /m).slice(1)) expect(section).toMatch(/- Source: /)
  })

  it('knows every fixture a test or benchmark names', () => {
    const referenced = referencedFixtures()
    // The scan works: it sees the fixtures this file knows are used.
    expect(referenced.has('openai_gpt-4o-mini_stream_include-usage.sse')).toBe(true)
    expect(referenced.has('deepseek-chat_stream_length_2025-12.chunks.jsonl')).toBe(true)
    const unknown = [...referenced]
      .filter(([name]) => !RECORDED_FIXTURES.includes(name))
      .map(([name, at]) => `${name} (${at})`)
    expect(unknown).toEqual([])
  })

  it('refuses a name that is not a recorded fixture', () => {
    expect(() => readFixture('../../package.json')).toThrow(/not a recorded fixture/)
    expect(() => readFixture('made-up_fixture.json')).toThrow(/not a recorded fixture/)
  })
})

describe('the fake upstream serves each fixture from tests/fixtures', () => {
  let fake: FakeUpstream
  beforeAll(async () => {
    fake = await startFakeUpstream()
  })
  afterAll(() => fake.close())

  for (const file of RECORDED_FIXTURES) {
    it(file, async () => {
      const res = await fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: `fixture:${file}`, messages: [] }),
      })
      const served = Buffer.from(await res.arrayBuffer())
      const onDisk = readFileSync(join(FIXTURES_DIR, file))
      if (file.endsWith('.jsonl')) {
        const lines = onDisk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
        expect(served.toString('utf8')).toBe(`${lines.map((l) => `data: ${l}\n\n`).join('')}data: [DONE]\n\n`)
      } else {
        expect(served.equals(onDisk)).toBe(true)
      }
    })
  }
})
