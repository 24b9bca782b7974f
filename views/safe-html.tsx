import { raw } from 'hono/html'
import type { SafeHtml } from '../src/render/markdown.ts'

/** Inserts sanitized model output. Typed so that only renderMarkdown's result can get here. */
export function SafeMarkup(props: { html: SafeHtml }) {
  return raw(props.html)
}
