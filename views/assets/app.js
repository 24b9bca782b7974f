// Juxta's only page script: what htmx does not do. Keyboard send, remembered target selection, table sort,
// copy buttons.
;(() => {
  const STORE = 'juxta.targets'
  const form = () => document.getElementById('compare-form')

  // Ctrl/Cmd + Enter sends the form the focus is in.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return
    const f = e.target instanceof Element ? e.target.closest('form') : null
    if (f) {
      e.preventDefault()
      f.requestSubmit()
    }
  })

  // Remember the last selection (target ids only; nothing secret).
  const restore = () => {
    const f = form()
    if (!f || f.dataset.restored) return
    f.dataset.restored = '1'
    let saved = []
    try {
      saved = JSON.parse(localStorage.getItem(STORE) || '[]')
    } catch {
      saved = []
    }
    const boxes = [...f.querySelectorAll('input[name="targets"]')]
    if (boxes.some((b) => b.checked)) return
    const wanted = new Set(saved)
    for (const b of boxes) if (wanted.has(b.value) && !b.disabled) b.checked = true
    if (!boxes.some((b) => b.checked)) {
      // First visit: pick the ready simulated targets so the page does something at once.
      for (const b of boxes) if (!b.disabled && b.value.startsWith('demo/')) b.checked = true
    }
  }
  document.addEventListener('change', (e) => {
    const t = e.target
    if (t instanceof HTMLInputElement && t.name === 'targets' && t.closest('#compare-form')) {
      const chosen = [...form().querySelectorAll('input[name="targets"]:checked')].map((b) => b.value)
      localStorage.setItem(STORE, JSON.stringify(chosen))
    }
  })

  // Sortable tables: numbers by value, text alphabetically; state in aria-sort for screen readers.
  document.addEventListener('click', (e) => {
    const button = e.target instanceof Element ? e.target.closest('button.sort') : null
    if (!button) return
    const th = button.closest('th')
    const table = button.closest('table')
    const body = table.tBodies[0]
    const col = [...th.parentElement.children].indexOf(th)
    const dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending'
    for (const other of th.parentElement.children) other.setAttribute('aria-sort', 'none')
    th.setAttribute('aria-sort', dir)
    const value = (row) => row.children[col]?.dataset.value ?? row.children[col]?.textContent ?? ''
    const rows = [...body.rows]
    rows.sort((a, b) => {
      const va = value(a),
        vb = value(b)
      const na = va === '' ? NaN : Number(va),
        nb = vb === '' ? NaN : Number(vb)
      let cmp
      if (!Number.isNaN(na) && !Number.isNaN(nb)) cmp = na - nb
      else if (Number.isNaN(na) !== Number.isNaN(nb))
        return Number.isNaN(na) ? 1 : -1 // unknowns last
      else cmp = va.localeCompare(vb)
      return dir === 'ascending' ? cmp : -cmp
    })
    body.append(...rows)
  })

  // While a request runs, its form's submit buttons (or the button itself) are disabled: a second click
  // would start a second paid run. (htmx 4's hx-disable would do this, but upgrade-check flags the name.)
  const buttonsOf = (elt) =>
    elt instanceof HTMLButtonElement
      ? [elt]
      : elt instanceof HTMLFormElement
        ? [...elt.querySelectorAll('button[type="submit"], button:not([type])')]
        : []
  document.addEventListener('htmx:before:request', (e) => {
    for (const b of buttonsOf(e.target)) b.disabled = true
  })
  document.addEventListener('htmx:finally:request', (e) => {
    for (const b of buttonsOf(e.target)) b.disabled = false
  })

  // Content swapped in place of the control that asked for it (the picker after "check again") names the
  // element that should take the focus, so keyboard and screen-reader users are not dropped on <body>.
  document.addEventListener('htmx:after:swap', () => {
    const next = document.querySelector('[data-focus-after-swap]')
    if (!next) return
    next.removeAttribute('data-focus-after-swap')
    next.focus()
  })

  // Says something in the page's polite live region; emptied first so the same words are announced again.
  const announce = (text) => {
    const region = document.getElementById('announce')
    if (!region) return
    region.textContent = ''
    setTimeout(() => {
      region.textContent = text
    }, 50)
  }

  // Copy buttons. A code block's button copies its <pre>'s text (the button sits beside the <pre>, so it is
  // never part of it); an answer's or a run's button copies what its same-origin text/plain route returns.
  const fetchText = async (url) => {
    const res = await fetch(url, { headers: { Accept: 'text/plain' } })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    return res.text()
  }
  const copyFetched = async (url) => {
    // A ClipboardItem takes the text as a promise, so the click's user activation still covers the write
    // when the fetch ends (Safari requires it); writeText after the fetch elsewhere.
    if (typeof ClipboardItem === 'function' && navigator.clipboard.write) {
      try {
        const blob = fetchText(url).then((text) => new Blob([text], { type: 'text/plain' }))
        await navigator.clipboard.write([new ClipboardItem({ 'text/plain': blob })])
        return
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('HTTP ')) throw err
      }
    }
    await navigator.clipboard.writeText(await fetchText(url))
  }
  document.addEventListener('click', async (e) => {
    const button = e.target instanceof Element ? e.target.closest('button[data-copy]') : null
    if (!button) return
    try {
      if (button.dataset.copy === 'code') {
        const pre = button.closest('.code-block')?.querySelector('pre')
        await navigator.clipboard.writeText((pre?.textContent ?? '').replace(/\n$/, ''))
      } else {
        await copyFetched(button.dataset.copySrc)
      }
      button.dataset.copied = ''
      setTimeout(() => delete button.dataset.copied, 2000)
      announce('Copied')
    } catch {
      announce('Copy failed')
    }
  })

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', restore)
  else restore()
})()
