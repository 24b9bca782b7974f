import { createRequire } from 'node:module'
import type MarkdownItType from 'markdown-it'
import type HljsType from 'highlight.js'
import type SanitizeHtmlType from 'sanitize-html'
import { type MathBudget, mathPlugin, newMathBudget } from './math.ts'

/**
 * Model output → safe HTML. Markdown is rendered with raw HTML off, links limited to http/https/mailto and
 * images turned into plain links (a remote image is a data-exfiltration channel), then the complete HTML is
 * sanitized with an allowlist: no hx-*, on*, style, id, script, iframe or forms can survive, whatever the
 * Markdown renderer or highlighter produced. Streaming and history go through this one function.
 *
 * Two rewrites keep the page accessible whatever the model writes: its headings all become `<h4>` (the
 * answer sits under the column's `<h3>`; the page keeps its one `<h1>` and a valid heading order), with a
 * class for their visual size; and every `<pre>` gets `tabindex="0"` so a code block that scrolls can be
 * reached and scrolled by keyboard. Both attributes are set here, never copied from the input, and allowed
 * only on those elements with only those values.
 *
 * TeX math becomes MathML (math.ts). The allowlist takes exactly the MathML elements and presentation
 * attributes KaTeX emits in MathML mode, and none that can carry a script, a link or a remote resource: no
 * href, src, style, class, colour or `annotation-xml` (an HTML integration point); `mglyph` (an image) is left out.
 *
 * After sanitizing, each `<pre>` is wrapped with a "Copy code" button: added here, to the sanitizer's own
 * output (the model cannot write markup, let alone this), so live columns and stored runs both have it.
 */
const SAFE_LINK = /^(https?:|mailto:)/i

const HEADING_CLASSES = ['md-h1', 'md-h2', 'md-h3', 'md-h4', 'md-h5', 'md-h6']
const heading =
  (level: number): SanitizeHtmlType.Transformer =>
  () => ({ tagName: 'h4', attribs: { class: `md-h${level}` } })

const MATHML_NS = 'http://www.w3.org/1998/Math/MathML'

/** MathML elements KaTeX 0.17 emits with `output: 'mathml'` and `trust: false`. */
const MATHML_TAGS = [
  'math',
  'semantics',
  'annotation',
  'mrow',
  'mi',
  'mn',
  'mo',
  'mtext',
  'mspace',
  'msup',
  'msub',
  'msubsup',
  'mfrac',
  'msqrt',
  'mroot',
  'mstyle',
  'mpadded',
  'mphantom',
  'mtable',
  'mtr',
  'mtd',
  'mover',
  'munder',
  'munderover',
  'menclose',
]

/**
 * Presentation attributes KaTeX sets on them: sizes, spacing, fonts and table layout, all inert. Colours
 * (`mathcolor`, `mathbackground`, from `\color`, `\colorbox`, KaTeX's red for unsupported commands) are
 * dropped: chosen for an unknown background, they cannot be readable in both the light and dark schemes.
 */
const MATHML_ATTRIBUTES = [
  'mathvariant',
  'mathsize',
  'stretchy',
  'fence',
  'separator',
  'largeop',
  'accent',
  'accentunder',
  'lspace',
  'rspace',
  'width',
  'height',
  'depth',
  'voffset',
  'minsize',
  'maxsize',
  'notation',
  'columnalign',
  'columnlines',
  'columnspacing',
  'rowlines',
  'rowspacing',
  'displaystyle',
  'scriptlevel',
  'linethickness',
  'linebreak',
]

const SANITIZE: SanitizeHtmlType.IOptions = {
  allowedTags: [
    'p',
    'br',
    'hr',
    'h4',
    'blockquote',
    'pre',
    'code',
    'span',
    'em',
    'strong',
    'del',
    's',
    'ul',
    'ol',
    'li',
    'a',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'sup',
    'sub',
    'kbd',
    ...MATHML_TAGS,
  ],
  allowedAttributes: {
    a: ['href', 'rel'],
    ol: ['start'],
    th: ['align'],
    td: ['align'],
    code: ['class'],
    span: ['class'],
    h4: [{ name: 'class', multiple: false, values: HEADING_CLASSES }],
    pre: [{ name: 'tabindex', multiple: false, values: ['0'] }],
    ...Object.fromEntries(MATHML_TAGS.map((tag) => [tag, MATHML_ATTRIBUTES])),
    // Rewritten below to fixed values (an allowlist of values would keep a rejected attribute's bare name).
    math: ['xmlns', 'display'],
    annotation: ['encoding'],
  },
  allowedClasses: {
    code: [/^language-[\w+-]+$/, 'math-error'],
    span: [/^hljs-[\w-]+$/, 'language-*', 'katex'],
    h4: HEADING_CLASSES,
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
  transformTags: {
    ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((level) => [`h${level}`, heading(level)])),
    pre: () => ({ tagName: 'pre', attribs: { tabindex: '0' } }),
    math: (tagName, attribs) => ({
      tagName,
      attribs: {
        ...(attribs.xmlns === MATHML_NS ? { xmlns: MATHML_NS } : {}),
        ...(attribs.display === 'block' ? { display: 'block' } : {}),
      },
    }),
    annotation: (tagName, attribs) => ({
      tagName,
      attribs: { ...(attribs.encoding === 'application/x-tex' ? { encoding: 'application/x-tex' } : {}) },
    }),
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...(attribs.href ? { href: attribs.href } : {}), rel: 'noopener noreferrer nofollow' },
    }),
  },
}

// The Markdown stack (markdown-it, highlight.js, sanitize-html: ~45 MiB) loads on the first render, not at
// start-up: an idle server, and one that only serves the API, never pays for it.
const require = createRequire(import.meta.url)
let renderer: { md: InstanceType<typeof MarkdownItType>; sanitize: typeof SanitizeHtmlType } | undefined

function load(): NonNullable<typeof renderer> {
  if (renderer) return renderer
  const MarkdownIt = require('markdown-it') as typeof MarkdownItType
  const hljs = require('highlight.js/lib/common') as typeof HljsType
  const sanitize = require('sanitize-html') as typeof SanitizeHtmlType
  const md = new MarkdownIt({
    html: false,
    linkify: true,
    typographer: false,
    highlight(code, lang) {
      try {
        const language = lang && hljs.getLanguage(lang) ? lang : undefined
        if (!language) return '' // markdown-it escapes it
        return hljs.highlight(code, { language, ignoreIllegals: true }).value
      } catch {
        return ''
      }
    },
  })
  md.validateLink = (url: string) => SAFE_LINK.test(url.trim())
  md.use(mathPlugin)

  // Images become links with their alt text: no request ever leaves for a remote host to fetch them.
  type RenderRule = NonNullable<typeof md.renderer.rules.image>
  const image: RenderRule = (tokens, idx, _options, _env, self) => {
    const token = tokens[idx]!
    const src = String(token.attrGet('src') ?? '')
    const alt = self.renderInlineAsText(token.children ?? [], _options, _env) || 'image'
    const label = md.utils.escapeHtml(`[image: ${alt}]`)
    return SAFE_LINK.test(src) ? `<a href="${md.utils.escapeHtml(src)}">${label}</a>` : label
  }
  md.renderer.rules.image = image
  renderer = { md, sanitize }
  return renderer
}

/** HTML that went through the sanitizer; the only kind of markup views insert without escaping. */
export type SafeHtml = string & { readonly __safe: unique symbol }

/** Opens every code block: a wrapper with its copy button (app.js copies the `<pre>`'s text, not the button). */
const CODE_BLOCK_OPEN =
  '<div class="code-block"><button type="button" class="copy-button" data-copy="code">Copy code</button>'

/** The allowlist alone, on any HTML (exported for its tests). */
export function sanitizeMarkup(html: string): string {
  return load().sanitize(html, SANITIZE)
}

/**
 * `math` is the answer's math budget (math.ts): pass the same one for every block of one answer while
 * streaming; by default each call is one whole answer with a budget of its own.
 */
export function renderMarkdown(text: string, math: MathBudget = newMathBudget()): SafeHtml {
  // In sanitized HTML every `<` of the text is escaped: these strings can only be the tags the sanitizer wrote.
  return sanitizeMarkup(load().md.render(text, { math }))
    .replaceAll('<pre tabindex="0">', `${CODE_BLOCK_OPEN}<pre tabindex="0">`)
    .replaceAll('</pre>', '</pre></div>') as SafeHtml
}

/**
 * Where the text can be cut so that everything before is complete Markdown blocks: the last blank line that
 * is not inside a fenced code block. Streaming renders those blocks once and keeps only the tail as text.
 */
export function lastBlockBoundary(text: string, from: number): number {
  let inFence = false
  let boundary = -1
  let i = from
  while (i < text.length) {
    const nl = text.indexOf('\n', i)
    const end = nl === -1 ? text.length : nl
    const line = text.slice(i, end)
    if (/^ {0,3}(```|~~~)/.test(line)) inFence = !inFence
    else if (!inFence && line.trim() === '' && nl !== -1 && end > from) boundary = end + 1
    if (nl === -1) break
    i = nl + 1
  }
  // A fence still open, or the last line unfinished, stays in the tail.
  return boundary
}
