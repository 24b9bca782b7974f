/**
 * Upstream strings that Juxta stores verbatim are capped where they arrive, so that a buggy or hostile
 * upstream cannot bloat history or make an export un-importable (the import schema bounds every field).
 */
export const WIRE_TEXT_MAX = {
  /** Model ids seen in the wild are under 100 characters; config ids are at most 200. */
  model: 200,
  /** `stop`, `length`, `tool_calls`, `content_filter`, ... */
  finishReason: 64,
  /** Error messages kept per target (errors.ts cuts upstream messages shorter still). */
  errorMessage: 1000,
} as const

/** `text` cut to `max` characters, with an ellipsis when something was cut. */
export function capWireText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
