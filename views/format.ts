/** Number formats shared by the live view and history. Missing numbers render as an em dash, never 0. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const m = Math.floor(ms / 60_000)
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`
}

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  return n.toLocaleString('en-US')
}

export function formatRate(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  return `${n >= 100 ? Math.round(n) : n.toFixed(1)} tok/s`
}
