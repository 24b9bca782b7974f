import { readFileSync } from 'node:fs'
import { projectRoot } from '../project-root.ts'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { Hono } from 'hono'
import { HTMX_VERSION } from '../../views/assets-paths.ts'
import { CHART_CSS } from '../charts/chart-css.ts'

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
}

export function defaultAssetsDir(): string {
  return join(projectRoot(), 'views', 'assets')
}

/** Static files: htmx from node_modules (no CDN) under a versioned path, and our own few assets. */
export function assetRoutes(assetsDir = defaultAssetsDir()): Hono {
  const require = createRequire(import.meta.url)
  const htmxDist = join(dirname(require.resolve('htmx.org/package.json')), 'dist')
  const files = new Map<string, { body: Buffer; type: string; immutable: boolean }>()
  const load = (url: string, path: string, immutable: boolean) => {
    const ext = path.slice(path.lastIndexOf('.') + 1)
    files.set(url, { body: readFileSync(path), type: TYPES[ext] ?? 'application/octet-stream', immutable })
  }
  load(`/vendor/htmx-${HTMX_VERSION}/htmx.min.js`, join(htmxDist, 'htmx.min.js'), true)
  load(`/vendor/htmx-${HTMX_VERSION}/ext/hx-sse.min.js`, join(htmxDist, 'ext', 'hx-sse.min.js'), true)
  for (const name of ['app.css', 'app.js', 'icon.svg']) load(`/assets/${name}`, resolve(assetsDir, name), false)
  // The chart rules live once, beside the chart code; the report inlines the same text.
  const css = files.get('/assets/app.css')!
  css.body = Buffer.concat([css.body, Buffer.from(`\n${CHART_CSS}`)])

  const app = new Hono()
  app.get('*', (c, next) => {
    const file = files.get(c.req.path)
    if (!file) return next()
    c.header('Content-Type', file.type)
    c.header('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    return c.body(new Uint8Array(file.body))
  })
  return app
}
