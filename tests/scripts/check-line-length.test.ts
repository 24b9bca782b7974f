import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { findLongLines, formatHit, isCheckedPath, LINE_LENGTH_OK } from '../../scripts/check-line-length.mjs'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'juxta-line-length-'))
  dirs.push(dir)
  writeFileSync(join(dir, name), text)
  return dir
}

describe('check-line-length', () => {
  it('flags a 121-character line and not a 120-character one', () => {
    const root = tempFile('a.ts', `${'x'.repeat(121)}\n${'y'.repeat(120)}\n`)
    const hits = findLongLines(['a.ts'], { root })
    expect(hits).toEqual([{ path: 'a.ts', line: 1, length: 121 }])
    expect(formatHit(hits[0]!)).toBe('a.ts:1: 121 characters')
  })

  it('counts characters, not UTF-16 units, and honours the marker', () => {
    const marked = `const re = /${'z'.repeat(120)}/ // ${LINE_LENGTH_OK}`
    const root = tempFile('b.ts', `${'€'.repeat(60)}${'🙂'.repeat(60)}\r\n${marked}\n`)
    expect(findLongLines(['b.ts'], { root })).toEqual([])
  })

  it('covers source under the checked folders, not fixtures or other files', () => {
    expect(isCheckedPath('src/app.ts')).toBe(true)
    expect(isCheckedPath('views/assets/app.css')).toBe(true)
    expect(isCheckedPath('scripts/check-line-length.mjs')).toBe(true)
    expect(isCheckedPath('tests/fixtures/x.ts')).toBe(false)
    expect(isCheckedPath('README.md')).toBe(false)
    expect(isCheckedPath('src/data.json')).toBe(false)
  })
})
