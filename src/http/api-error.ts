import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** One problem with a request's input, named by its path (`targets[1]`, `params.temperature`). */
export interface ApiIssue {
  path: string
  message: string
}

/** The one error body every JSON API answer uses: `{ error: { message, issues } }`. */
export interface ApiErrorBody {
  error: { message: string; issues: ApiIssue[] }
}

export function apiErrorBody(message: string, issues: ApiIssue[] = []): ApiErrorBody {
  return { error: { message, issues } }
}

export function apiError(c: Context, status: ContentfulStatusCode, message: string, issues: ApiIssue[] = []): Response {
  return c.json(apiErrorBody(message, issues), status)
}

/** API paths answer JSON errors; pages and forms answer plain text (htmx shows it, a person reads it). */
export function errorFor(c: Context, status: ContentfulStatusCode, message: string): Response {
  return c.req.path.startsWith('/api/') ? apiError(c, status, message) : c.text(message, status)
}
