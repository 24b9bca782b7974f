import type { Child } from 'hono/jsx'
import { html } from 'hono/html'
import { HTMX_VERSION } from './assets-paths.ts'
import { LogoutControl } from './logout-control.tsx'

export type NavItem = 'compare' | 'studies' | 'history' | 'spend' | 'leaderboard' | 'settings'

const NAV: Array<[NavItem, string, string]> = [
  ['compare', '/', 'Compare'],
  ['studies', '/studies', 'Studies'],
  ['history', '/history', 'History'],
  ['spend', '/spend', 'Spend'],
  ['leaderboard', '/leaderboard', 'Leaderboard'],
  ['settings', '/settings', 'Settings'],
]

/** The page shell: htmx from node_modules, our CSS and a small script, nothing from other origins. */
export function Layout(props: { title: string; active?: NavItem; children?: Child }) {
  return html`<!DOCTYPE html>${(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="htmx-config" content='{"noSwap":[204,304],"defaultTimeout":0}' />
        <title>{props.title === 'Juxta' ? 'Juxta' : `${props.title} · Juxta`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
        <script src={`/vendor/htmx-${HTMX_VERSION}/htmx.min.js`} defer></script>
        <script src={`/vendor/htmx-${HTMX_VERSION}/ext/hx-sse.min.js`} defer></script>
        <script src="/assets/app.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/" aria-label="Juxta home">
            <span class="logo" aria-hidden="true">
              ⇆
            </span>{' '}
            Juxta
          </a>
          <nav aria-label="Main">
            <ul>
              {NAV.map(([id, href, label]) => (
                <li>
                  <a href={href} aria-current={props.active === id ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <LogoutControl />
        </header>
        <main id="main">{props.children}</main>
        <div id="announce" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
      </body>
    </html>
  )}`
}
