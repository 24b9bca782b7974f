/** A multipart or urlencoded form as Hono parses it with `{ all: true }`. */
export type FormBody = Record<string, string | File | Array<string | File>>

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string')
const optionalNumber = (v: unknown): number | string | undefined => {
  const s = str(v)?.trim()
  if (!s) return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : s // a non-number stays a string so validation names the field
}

/** Form fields → the same shape the JSON API validates, so both share one schema. */
export function formToBody(form: FormBody) {
  return {
    prompt: str(form.prompt) ?? '',
    ...(str(form.system)?.trim() ? { system: str(form.system) } : {}),
    targets: list(form.targets),
    ...(optionalNumber(form.temperature) !== undefined ? { temperature: optionalNumber(form.temperature) } : {}),
    ...(optionalNumber(form.max_tokens) !== undefined ? { max_tokens: optionalNumber(form.max_tokens) } : {}),
  }
}
