import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../src/render/markdown.ts'

describe('renderMarkdown, accessibility rewrites', () => {
  it('turns every heading of the model into an h4 with a class for its size', () => {
    const html = renderMarkdown('# One\n\n## Two\n\n###### Six\n\nSetext\n------\n')
    expect(html).not.toMatch(/<h[1235]/)
    expect(html).not.toMatch(/<h6/)
    expect(html).toContain('<h4 class="md-h1">One</h4>')
    expect(html).toContain('<h4 class="md-h2">Two</h4>')
    expect(html).toContain('<h4 class="md-h6">Six</h4>')
    expect(html).toContain('<h4 class="md-h2">Setext</h4>')
  })

  it('makes fenced and indented code blocks focusable, and nothing else', () => {
    const html = renderMarkdown(
      '```js\nconst x = 1\n```\n\n    indented\n\nA [link](https://example.com) and `code`.\n',
    )
    expect(html.match(/<pre tabindex="0">/g)).toHaveLength(2)
    expect(html.match(/tabindex/g)).toHaveLength(2)
  })

  it('never lets the model choose a tabindex, class or heading level of its own', () => {
    const hostile = [
      '<pre tabindex="-1">a</pre>',
      '<div tabindex="5" class="md-h1">b</div>',
      '<h1 class="md-h1" tabindex="3">c</h1>',
      '<a href="https://example.com" tabindex="1">d</a>',
    ].join('\n\n')
    const html = renderMarkdown(hostile)
    // Raw HTML is text, not markup: every tag arrives escaped.
    expect(html).not.toMatch(/<(pre|div|h1)[\s>]/)
    expect(html).toContain('&lt;pre tabindex="-1"&gt;')
    expect(html).not.toMatch(/<[^>]+tabindex=/)
  })
})

describe('renderMarkdown, copy buttons on code blocks', () => {
  it('wraps every code block with a copy button beside its <pre>, never inside it', () => {
    const html = renderMarkdown('```js\nconst x = 1\n```\n\n    indented\n\nA `span` stays bare.\n')
    const block =
      '<div class="code-block"><button type="button" class="copy-button" data-copy="code">Copy code</button>' +
      '<pre tabindex="0">'
    expect(html.split(block)).toHaveLength(3)
    expect(html.match(/<\/pre><\/div>/g)).toHaveLength(2)
    expect(html).toContain('<code>span</code>')
    for (const pre of html.match(/<pre[\s\S]*?<\/pre>/g) ?? []) expect(pre).not.toContain('button')
  })

  it('cannot be forged by the model: its markup is text and the sanitizer has no button or div', () => {
    const html = renderMarkdown(
      '<div class="code-block"><button data-copy="code">Copy code</button><pre tabindex="0">x</pre></div>\n\n' +
        '`<pre tabindex="0">` and </pre>',
    )
    expect(html).not.toMatch(/<(div|button|pre)[\s>]/)
    expect(html).toContain('&lt;button data-copy="code"&gt;')
  })
})
