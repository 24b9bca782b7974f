import { describe, expect, it } from 'vitest'
import katex from 'katex'
import { renderMarkdown, sanitizeMarkup } from '../../src/render/markdown.ts'
import { MATH_BUDGET, MAX_FORMULA_CHARS, renderTex } from '../../src/render/math.ts'
import { PageStreamComposer } from '../../src/web/page-stream.ts'
import type { TargetResult } from '../../src/domain/types.ts'

const mathCount = (html: string) => html.match(/<math[\s>]/g)?.length ?? 0

describe('math in answers', () => {
  it('renders inline $…$ and \\(…\\) as inline MathML', () => {
    const html = renderMarkdown('Energy $E=mc^2$ and \\(a^2+b^2\\) here.')
    expect(mathCount(html)).toBe(2)
    expect(html).not.toContain('display="block"')
    expect(html).toContain('<msup><mi>c</mi><mn>2</mn></msup>')
    expect(html).toMatch(/^<p>Energy <span class="katex"><math /)
    expect(html).toContain('</math></span> here.</p>')
  })

  it('renders $$…$$ and \\[…\\] blocks, on their own lines or inside a paragraph, as display MathML', () => {
    const html = renderMarkdown('Before\n$$\n\\frac{1}{2}\n$$\n\n\\[\n\\sqrt{x}\n\\]\n\nInline $$y$$ display.')
    expect(html.match(/<math [^>]*display="block"/g)).toHaveLength(3)
    expect(html).toContain('<mfrac><mn>1</mn><mn>2</mn></mfrac>')
    expect(html).toContain('<msqrt><mi>x</mi></msqrt>')
    expect(html).toContain('<p>Before</p>')
    expect(html).toMatch(/<p>Inline <span class="katex"><math [^>]*display="block"/)
    // The TeX source rides along for screen readers and copy-paste, as text.
    expect(html).toContain('<annotation encoding="application/x-tex">\\frac{1}{2}</annotation>')
  })

  it('leaves dollar amounts in prose as text', () => {
    for (const text of ['It costs $5 and $10.', 'costs $3.50 or $4', 'between $5 and $ 10', 'pay $5,$6 now']) {
      const html = renderMarkdown(text)
      expect(mathCount(html), text).toBe(0)
      expect(html).not.toContain('math-error')
      expect(html).toContain(text.replace(/ +/g, ' ').slice(0, 8))
    }
    // An escaped dollar is a dollar, even between two formulas' worth of dollars.
    expect(renderMarkdown('\\$x$ and \\$y$')).toBe('<p>$x$ and $y$</p>\n')
  })

  it('shows a formula that does not parse as its source in a code span, never KaTeX error HTML', () => {
    const html = renderMarkdown('Broken $\\frac{1}{$ and \\(\\undefinedmacro\\) and\n\n$$\n\\begin{x}\n$$\n')
    expect(html).toContain('<code class="math-error">$\\frac{1}{$</code>')
    expect(html).toContain('<code class="math-error">\\(\\undefinedmacro\\)</code>')
    expect(html).toContain('<code class="math-error">$$\n\\begin{x}\n$$</code>')
    expect(html).not.toContain('katex-error')
    expect(mathCount(html)).toBe(0)
  })

  it('leaves math inside code spans and code blocks as code', () => {
    const html = renderMarkdown('`$x$` and `\\(y\\)`\n\n```\n$$z$$\n```\n\n    $$w$$\n')
    expect(mathCount(html)).toBe(0)
    expect(html).toContain('<code>$x$</code>')
    expect(html).toContain('<code>\\(y\\)</code>')
    expect(html).toContain('<code>$$z$$\n</code>')
    expect(html).toContain('<code>$$w$$\n</code>')
  })

  it('stops a pathological macro expansion and shows it as source', () => {
    // Each macro doubles the one before: 2^40 expansions unless KaTeX's maxExpand stops it.
    const names = Array.from(
      { length: 41 },
      (_, i) => `\\m${String.fromCharCode(97 + (i % 26)).repeat(1 + Math.floor(i / 26))}`,
    )
    let tex = `\\def${names[0]}{x}`
    for (let i = 1; i < names.length; i++) tex += `\\def${names[i]}{${names[i - 1]}${names[i - 1]}}`
    tex += names.at(-1)
    const html = renderMarkdown(`$${tex}$`)
    expect(html).toContain('<code class="math-error">')
    expect(mathCount(html)).toBe(0)
    // Self-recursion, too.
    expect(renderMarkdown('$\\def\\x{\\x}\\x$')).toContain('math-error')
  })

  it('reads long runs of unclosed openers as text (each opener once, not once per opener after it)', () => {
    for (const opener of ['$a ', '\\(a ', '\\[a\n']) {
      const text = opener.repeat(20_000)
      const html = renderMarkdown(text)
      expect(mathCount(html), opener).toBe(0)
      const plain = (t: string) => t.replace(/<\/?p>|\\|\s+/g, '')
      expect(plain(html), opener).toBe(plain(text))
    }
  })

  it('bounds sizes and formula length', () => {
    expect(renderMarkdown('$\\rule{100000em}{100000em}$')).toContain('width="50em"')
    const long = `$${'x+'.repeat(MAX_FORMULA_CHARS / 2)}x$`
    expect(renderMarkdown(long)).toContain('<code class="math-error">')
  })

  it('turns untrusted commands into inert text: no link, no class, no style', () => {
    const html = renderMarkdown(
      '$\\href{javascript:alert(1)}{x}$ $\\url{https://evil.example}$ $\\htmlClass{pwn}{x}$ ' +
        '$\\htmlStyle{background:url(https://evil.example)}{x}$ $\\includegraphics{https://evil.example/i.png}$',
    )
    expect(html).not.toMatch(/\s(href|src|style)=/)
    expect(html).not.toContain('class="pwn"')
    expect(html).not.toContain('mglyph')
  })
})

describe('the math budget of one answer', () => {
  it('draws the first formulas up to the budget and shows the rest as plain source', () => {
    const html = renderMarkdown('$x$ '.repeat(MATH_BUDGET.formulas + 100))
    expect(mathCount(html)).toBe(MATH_BUDGET.formulas)
    expect(html.match(/<code>\$x\$<\/code>/g)).toHaveLength(100)
    expect(html).not.toContain('math-error')
    // Characters count too: three formulas of 12,000 characters each would be 36,000.
    const big = `$${'a'.repeat(9_000)}$ `
    expect(mathCount(renderMarkdown(big.repeat(4)))).toBe(Math.floor(MATH_BUDGET.chars / 9_000))
  })

  it('is shared by the blocks of a streamed answer, so they draw what the final render draws', () => {
    const composer = new PageStreamComposer(() => ({ rendered: 'm', tail: 't', reasoning: 'r' }))
    composer.open(0)
    const block = `${'$y$ '.repeat(200)}\n\n`
    let streamed = ''
    for (let i = 0; i < 4; i++) {
      composer.delta(0, 'text', block)
      streamed += composer.flush()
    }
    expect(mathCount(streamed)).toBe(MATH_BUDGET.formulas)
    const result = { text: block.repeat(4) } as TargetResult
    // The blocks already equal the full render: no replacement is sent at the end.
    expect(composer.finish(0, result)).not.toContain('<math')
  })
})

describe('the MathML allowlist', () => {
  it('keeps every element and attribute KaTeX emits, except style and colours (dropped on purpose)', () => {
    const corpus = [
      'x^2_i + \\frac{a}{b} - \\sqrt[3]{y} \\le \\int_0^\\infty e^{-t}\\,dt',
      '\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix} \\begin{array}{c|c} 1 & 2 \\\\ \\hline 3 & 4 \\end{array}',
      '\\overbrace{a+b}^{n} \\underbrace{c}_{m} \\hat{x} \\vec{v} \\overline{z} \\underline{w} \\widehat{abc}',
      '\\left( \\frac{1}{2} \\right] \\bigg| \\mathbb{R} \\mathcal{F} \\mathbf{v} \\boldsymbol{\\alpha} \\text{words}',
      '\\color{red}{x} \\colorbox{yellow}{y} \\fcolorbox{red}{blue}{z} \\boxed{w} \\cancel{q} \\xcancel{r}',
      '\\phantom{x} \\hspace{1em} \\rule{1em}{2em} \\raisebox{0.5em}{up} \\xrightarrow[below]{above} \\stackrel{!}{=}',
      '\\sum_{i=1}^n \\prod_j \\lim_{x \\to 0} \\binom{n}{k} \\displaystyle\\frac{1}{2} \\scriptstyle s \\tiny t',
      '\\begin{aligned} a &= b \\\\ c &= d \\end{aligned} \\begin{cases} 1 & x>0 \\\\ 0 \\end{cases}',
      '\\mathrlap{x} \\operatorname{sin} x \\not= y \\overset{a}{b} \\underset{c}{d} \\overleftarrow{AB} \\mathop{lim}',
    ]
    for (const tex of corpus) {
      for (const displayMode of [false, true]) {
        const raw = katex.renderToString(tex, { output: 'mathml', displayMode, trust: false, throwOnError: true })
        // The sanitizer drops style and colours, and writes `<mspace/>` as `<mspace></mspace>`.
        const expected = raw
          .replace(/ (style|mathcolor|mathbackground)="[^"]*"/g, '')
          .replace(/<(\w+)([^<>]*)\/>/g, '<$1$2></$1>')
        expect(sanitizeMarkup(raw), tex).toBe(expected)
      }
    }
  })

  it('strips attributes and elements injected into MathML', () => {
    const hostile =
      '<span class="katex pwn" style="x" onclick="alert(1)"><math xmlns="http://evil.example" display="evil" ' +
      'onload="alert(1)" href="javascript:alert(1)"><semantics><mrow>' +
      '<mi class="x" style="background:url(https://evil.example)" xlink:href="javascript:alert(1)" ' +
      'href="https://evil.example" mathvariant="bold">x</mi>' +
      '<mglyph src="https://evil.example/i.png"></mglyph><maction actiontype="statusline">a</maction>' +
      '<mtext><img src="https://evil.example/x" onerror="alert(1)"></mtext>' +
      '</mrow><annotation-xml encoding="text/html"><script>alert(1)</script></annotation-xml>' +
      '<annotation encoding="text/html">t</annotation></semantics></math></span>'
    const html = sanitizeMarkup(hostile)
    expect(html).toContain('<span class="katex"><math><semantics><mrow><mi mathvariant="bold">x</mi>')
    expect(html).not.toMatch(/\s(on\w+|href|xlink:href|src|style|xmlns|display|actiontype)=/)
    expect(html).not.toMatch(/<(img|script|mglyph|maction|annotation-xml)[\s>]/)
    expect(html).toContain('<annotation>t</annotation>')
  })
})

describe('renderTex', () => {
  it('escapes the source it falls back to', () => {
    expect(renderTex('\\frac{<b>', { display: false, source: '$\\frac{<b>$' })).toBe(
      '<code class="math-error">$\\frac{&lt;b&gt;$</code>',
    )
  })
})
