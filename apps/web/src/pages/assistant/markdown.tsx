import type { ReactNode } from 'react';

/**
 * A deliberately small Markdown renderer for assistant replies: paragraphs, headings, lists, fenced
 * and inline code, bold, italic and http(s)/mailto links. It builds React elements, never HTML
 * strings, so raw HTML in a reply is shown as text and cannot run (no dangerouslySetInnerHTML).
 */
export function Markdown({ source }: { source: string }) {
  return <>{blocks(source)}</>;
}

type Block =
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'paragraph'; text: string };

export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const result: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) result.push({ kind: 'paragraph', text: paragraph.join('\n') });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      // An unclosed fence runs to the end (a reply still streaming).
      while (++i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i]!);
      result.push({ kind: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      result.push({ kind: 'heading', level: heading[1]!.length, text: heading[2]! });
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]!);
      const last = result.at(-1);
      if (last?.kind === 'list' && last.ordered === ordered) last.items.push(item[2]!);
      else result.push({ kind: 'list', ordered, items: [item[2]!] });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return result;
}

function blocks(source: string): ReactNode[] {
  return parseBlocks(source).map((block, index) => {
    switch (block.kind) {
      case 'code':
        return (
          <pre key={index} className="my-2 overflow-x-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100 dark:bg-black">
            <code data-language={block.lang || undefined}>{block.text}</code>
          </pre>
        );
      case 'heading':
        return (
          <p key={index} role="heading" aria-level={Math.min(block.level + 2, 6)} className="mt-2 font-semibold">
            {inline(block.text)}
          </p>
        );
      case 'list': {
        const items = block.items.map((item, n) => <li key={n}>{inline(item)}</li>);
        return block.ordered ? (
          <ol key={index} className="my-1 list-decimal pl-5">
            {items}
          </ol>
        ) : (
          <ul key={index} className="my-1 list-disc pl-5">
            {items}
          </ul>
        );
      }
      case 'paragraph':
        return (
          <p key={index} className="my-1 whitespace-pre-wrap">
            {inline(block.text)}
          </p>
        );
    }
  });
}

// Underscores inside words (AI_API_KEY, snake_case) are not emphasis, as in CommonMark.
const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*|(?<![\p{L}\p{N}_])_[^_\n]+_(?![\p{L}\p{N}_]))|(\[[^\]\n]+\]\([^)\s]+\))/u;
const SAFE_URL = /^(https?:\/\/|mailto:)/i;

export function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let key = 0;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    if (match.index > 0) out.push(rest.slice(0, match.index));
    const [token] = match;
    if (match[1]) {
      out.push(
        <code key={key++} className="rounded bg-black/10 px-1 py-0.5 text-[0.85em] dark:bg-white/10">
          {token.slice(1, -1)}
        </code>,
      );
    } else if (match[2]) out.push(<strong key={key++}>{inline(token.slice(2, -2))}</strong>);
    else if (match[3]) out.push(<em key={key++}>{inline(token.slice(1, -1))}</em>);
    else {
      const [, label = '', href = ''] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token) ?? [];
      // Only web and mail links; javascript:, data: and the like stay plain text.
      out.push(
        SAFE_URL.test(href) ? (
          <a key={key++} href={href} target="_blank" rel="noopener noreferrer nofollow" className="underline">
            {label}
          </a>
        ) : (
          token
        ),
      );
    }
    rest = rest.slice(match.index + token.length);
  }
  return out;
}
