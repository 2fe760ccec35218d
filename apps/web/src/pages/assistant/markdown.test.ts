import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './markdown.tsx';

const html = (source: string) => renderToStaticMarkup(createElement(Markdown, { source }));

describe('assistant Markdown', () => {
  it('renders paragraphs, emphasis, inline code, lists and headings', () => {
    const out = html('# Title\n\nSome **bold** and *italic* and `code`.\n\n- one\n- two\n\n1. first\n2. second');
    expect(out).toContain('<p role="heading" aria-level="3"');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<em>italic</em>');
    expect(out).toMatch(/<code[^>]*>code<\/code>/);
    expect(out).toMatch(/<ul[^>]*><li>one<\/li><li>two<\/li><\/ul>/);
    expect(out).toMatch(/<ol[^>]*><li>first<\/li><li>second<\/li><\/ol>/);
  });

  it('keeps underscores inside words as text (AI_API_KEY), emphasises _whole words_', () => {
    const out = html('Set AI_PROVIDER=openai and AI_BASE_URL, then _restart_.');
    expect(out).toContain('Set AI_PROVIDER=openai and AI_BASE_URL, then <em>restart</em>.');
  });

  it('renders fenced code blocks verbatim, markup inside included, even unclosed', () => {
    const out = html('Before\n```ts\nconst a = 1 < 2 && **not bold**;\n```\nAfter\n```\nstill streaming');
    expect(out).toContain('<code data-language="ts">const a = 1 &lt; 2 &amp;&amp; **not bold**;</code>');
    expect(out).toContain('<code>still streaming</code>');
  });

  it('never emits raw HTML from a reply', () => {
    const out = html('<img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n**<b>x</b>**');
    expect(out).not.toMatch(/<img|<script|<b>/);
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(out).toContain('<strong>&lt;b&gt;x&lt;/b&gt;</strong>');
  });

  it('links only http(s) and mailto URLs, opening safely', () => {
    const out = html('[docs](https://example.com/a?b=1) [bad](javascript:alert(1)) [data](data:text/html,hi)');
    expect(out).toContain('<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer nofollow"');
    expect(out).not.toContain('href="javascript');
    expect(out).not.toContain('href="data');
    expect(out).toContain('[bad](javascript:alert(1))');
  });
});
