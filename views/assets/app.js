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

  // A run streamed into the page gets its own address as soon as it starts: reload, bookmark or share it and
  // /runs/:id shows it from history. replaceState, not pushState: Back still leaves the page as before.
  document.addEventListener('htmx:after:swap', () => {
    const runs = document.querySelectorAll('#run .run[data-run-id]')
    const id = runs[runs.length - 1]?.getAttribute('data-run-id')
    const address = id ? `/runs/${encodeURIComponent(id)}` : null
    if (address && location.pathname !== address) history.replaceState(history.state, '', address)
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

// Images attached to the compare form (file picker, drop, paste), for vision models. The files stay here and
// are added to the run's multipart body as `images`; the estimate only gets their count (#image-count). The
// server checks everything again: this only gives quick feedback.
;(() => {
  const TYPES = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP', 'image/gif': 'GIF' }
  const attached = []

  const box = () => document.getElementById('attach')
  const limits = () => ({ count: Number(box()?.dataset.maxImages || 8), bytes: Number(box()?.dataset.maxBytes || 0) })
  const size = (bytes) => {
    const kb = Math.max(1, Math.round(bytes / 1000))
    return kb >= 1000 ? `${(bytes / 1e6).toFixed(1)} MB` : `${kb} KB`
  }
  const alt = (n, item) => `Attached image ${n} (${TYPES[item.mime].toUpperCase()}, ${size(item.file.size)})`

  // The type the first bytes say (magic numbers), whatever the file's name or declared type.
  const sniff = async (file) => {
    const b = new Uint8Array(await file.slice(0, 12).arrayBuffer())
    const starts = (...xs) => xs.every((x, i) => b[i] === x)
    if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
    if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
    if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif'
    if (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50)
      return 'image/webp'
    return null
  }
  const dataUrl = (file) =>
    new Promise((resolve, reject) => {
      const reader = new FileReader()
      reader.onload = () => resolve(reader.result)
      reader.onerror = () => reject(reader.error)
      reader.readAsDataURL(file)
    })

  const say = (text) => {
    const status = document.getElementById('attach-status')
    if (status) status.textContent = text
  }

  const render = (focusIndex) => {
    const list = document.getElementById('attached')
    const count = document.getElementById('image-count')
    if (!list || !count) return
    list.replaceChildren(
      ...attached.map((item, i) => {
        const li = document.createElement('li')
        const img = document.createElement('img')
        img.src = item.url
        img.alt = alt(i + 1, item)
        const remove = document.createElement('button')
        remove.type = 'button'
        remove.className = 'remove-image'
        remove.dataset.index = String(i)
        remove.textContent = '×'
        remove.setAttribute('aria-label', `Remove image ${i + 1}`)
        li.append(img, remove)
        return li
      }),
    )
    list.hidden = attached.length === 0
    count.value = String(attached.length)
    // The estimate listens for changes on the form: it now says the images are not priced.
    count.closest('form')?.dispatchEvent(new Event('change', { bubbles: true }))
    if (focusIndex !== undefined) {
      const buttons = list.querySelectorAll('button.remove-image')
      ;(buttons[Math.min(focusIndex, buttons.length - 1)] ?? document.getElementById('image-picker'))?.focus()
    }
  }

  const add = async (files) => {
    const { count, bytes } = limits()
    const refused = []
    for (const file of files) {
      if (attached.length >= count) {
        refused.push(`${file.name}: at most ${count} images`)
        continue
      }
      if (bytes && file.size > bytes) {
        refused.push(`${file.name}: over ${Math.round(bytes / 1048576)} MiB`)
        continue
      }
      const mime = await sniff(file)
      if (!mime) {
        refused.push(`${file.name}: not a PNG, JPEG, WebP or GIF image`)
        continue
      }
      attached.push({ file, mime, url: await dataUrl(file) })
    }
    render()
    const n = attached.length
    const notAttached = refused.length ? ` Not attached: ${refused.join('; ')}.` : ''
    say(`${n} image${n === 1 ? '' : 's'} attached.${notAttached}`)
  }

  document.addEventListener('change', (e) => {
    const picker = e.target
    if (!(picker instanceof HTMLInputElement) || picker.id !== 'image-picker') return
    void add([...(picker.files ?? [])]).finally(() => {
      picker.value = ''
    })
  })

  document.addEventListener('click', (e) => {
    const button = e.target instanceof Element ? e.target.closest('button.remove-image') : null
    if (!button?.closest('#attached')) return
    const i = Number(button.dataset.index)
    attached.splice(i, 1)
    render(i)
    say(`Image ${i + 1} removed; ${attached.length} attached.`)
  })

  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files')
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e) || !(e.target instanceof Element) || !e.target.closest('#compare-form')) return
    e.preventDefault()
    e.target.closest('#compare-form').classList.add('dropping')
  })
  document.addEventListener('dragleave', (e) => {
    if (e.target instanceof Element && e.target.id === 'compare-form') e.target.classList.remove('dropping')
  })
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e) || !(e.target instanceof Element) || !e.target.closest('#compare-form')) return
    e.preventDefault()
    e.target.closest('#compare-form').classList.remove('dropping')
    void add([...e.dataTransfer.files])
  })

  // Pasting an image (a screenshot) into the form attaches it; pasted text is left alone.
  document.addEventListener('paste', (e) => {
    if (!(e.target instanceof Element) || !e.target.closest('#compare-form')) return
    const files = [...(e.clipboardData?.files ?? [])]
    if (files.length === 0) return
    e.preventDefault()
    void add(files)
  })

  // "Run again" of a run with images: they are attached again from history, as if picked.
  const preload = async () => {
    const hashes = (box()?.dataset.preload || '').split(' ').filter((h) => /^[0-9a-f]{64}$/.test(h))
    if (hashes.length === 0) return
    box().dataset.preload = ''
    const files = []
    for (const [i, hash] of hashes.entries()) {
      const res = await fetch(`/images/${hash}`)
      if (!res.ok) continue
      const blob = await res.blob()
      files.push(new File([blob], `image-${i + 1}`, { type: blob.type }))
    }
    await add(files)
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void preload())
  else void preload()

  // The run's request: the attached files join the form's multipart body (only the send, never "check again").
  document.addEventListener('htmx:config:request', (e) => {
    const request = e.detail?.ctx?.request
    if (request?.form?.id !== 'compare-form' || !(request.body instanceof FormData)) return
    if (new URL(request.action, document.baseURI).pathname !== '/runs') return
    request.body.delete('images')
    for (const item of attached) request.body.append('images', item.file, item.file.name || 'image')
  })
})()
