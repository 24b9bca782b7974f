/**
 * USD for people: cents from a dollar up, otherwise three significant digits, so that a non-zero sub-cent
 * cost never reads "$0.00" and two small costs stay comparable ($0.0123 vs $0.000493).
 */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unknown'
  if (usd === 0) return '$0'
  const abs = Math.abs(usd)
  const sign = usd < 0 ? '-' : ''
  if (abs >= 1) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
  const digits = Math.min(14, 2 - Math.floor(Math.log10(abs)))
  return `${sign}$${Number(abs.toPrecision(3)).toFixed(digits).replace(/(\.\d*?[1-9])0+$/, '$1')}`
}
