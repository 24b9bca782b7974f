import { Hono } from 'hono'
import type { AppContext } from '../context.ts'

/** GET /api/leaderboard and /leaderboard. */
export function leaderboardRoutes(_ctx: AppContext): Hono {
  return new Hono()
}
