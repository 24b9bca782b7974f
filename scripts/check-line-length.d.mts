export const MAX_LINE_LENGTH: number
export const LINE_LENGTH_OK: string

export interface LongLine {
  line: number
  length: number
}

export interface LongLineHit extends LongLine {
  /** Repository-relative path, as given. */
  path: string
}

export function isCheckedPath(path: string): boolean
export function longLinesIn(text: string, max?: number): LongLine[]
export function findLongLines(paths: string[], options?: { root?: string; max?: number }): LongLineHit[]
export function trackedSourceFiles(root?: string): string[]
export function formatHit(hit: LongLineHit): string
