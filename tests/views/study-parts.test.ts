import { describe, expect, it } from 'vitest'
import { studyShape } from '../../views/study-parts.tsx'

describe('studyShape', () => {
  it('counts prompts, targets and repeats in words that agree with the numbers', () => {
    expect(studyShape({ prompt_count: 1, targets: ['a/x'], repeats: 1 })).toBe('1 prompt × 1 target × 1 repeat')
    expect(studyShape({ prompt_count: 1200, targets: ['a/x', 'b/y'], repeats: 3 })).toBe(
      '1,200 prompts × 2 targets × 3 repeats',
    )
  })
})
