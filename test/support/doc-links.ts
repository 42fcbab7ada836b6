/**
 * Relative links in Markdown: finds every link and image target outside code, and reports the ones
 * that point at no file, or at a `#anchor` no heading of the target page has.
 *
 * Anchors follow GitHub's heading ids (what github-slugger does): the heading's text without
 * Markdown, lower-cased, punctuation dropped (letters, digits, `_`, `-` and spaces kept), spaces
 * turned into `-`, and `-1`, `-2`, … appended to repeats. `<a id>` / `<a name>` anchors count too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One link that does not resolve. */
export interface DeadLink {
  /** The Markdown file holding the link, relative to the root given. */
  readonly file: string;
  /** 1-based line of the link. */
  readonly line: number;
  /** The link target as written. */
  readonly target: string;
  /** What is wrong: the missing file or the missing anchor. */
  readonly problem: string;
}

/** A link target found in a Markdown file. */
export interface FoundLink {
  readonly line: number;
  readonly target: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** Inline links and images `[text](target "title")`, reference definitions `[id]: target`, HTML `href` / `src`. */
const LINK_PATTERNS = [/\]\(\s*<?([^()\s<>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g, /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g, /\b(?:href|src)="([^"]+)"/g];

/** The lines of a Markdown text with fenced code blocks blanked out (line numbers kept). */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const m = FENCE.exec(line);
    if (fence === undefined && m) {
      fence = m[1];
      return '';
    }
    if (fence !== undefined) {
      if (m && line.trim() === fence[0].repeat(Math.max(fence.length, line.trim().length))) fence = undefined;
      return '';
    }
    return line;
  });
}

/** Blanks inline code spans (`` `x` ``, ``` ``x`` ```), whose brackets are not links. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[\s\S]*?\1/g, (s) => ' '.repeat(s.length));
}

/** Every link target outside code in a Markdown text, with its line. */
export function findLinks(text: string): FoundLink[] {
  const found: FoundLink[] = [];
  proseLines(text).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    for (const pattern of LINK_PATTERNS) {
      for (const m of line.matchAll(pattern)) found.push({ line: i + 1, target: m[1] });
    }
  });
  return found;
}

/** GitHub's id for a heading text (before de-duplication). Code spans keep their text as written (`<app>` stays). */
export function headingSlug(heading: string): string {
  const text = heading
    .split(/(`+[^`]*`+)/)
    .map(
      (part, i) =>
        i % 2 === 1
          ? part.replace(/`/g, '')
          : part
              .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images keep their text
              .replace(/<[^>]+>/g, '') // inline HTML
              .replace(/\*/g, ''), // emphasis
    )
    .join('')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown text defines: heading ids (repeats numbered) and `<a id|name>`. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = headingSlug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  return anchors;
}

/** True for targets this check leaves alone: other schemes (https:, mailto:) and protocol-relative URLs. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * The dead relative links of the given Markdown files (paths relative to `root`). A target
 * starting with `/` is read from `root`, as GitHub reads it from the repository's root.
 */
export function deadLinks(root: string, files: readonly string[]): DeadLink[] {
  const dead: DeadLink[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (abs: string): Set<string> => {
    let set = anchorCache.get(abs);
    if (!set) anchorCache.set(abs, (set = anchorsOf(fs.readFileSync(abs, 'utf8'))));
    return set;
  };
  for (const file of files) {
    const abs = path.join(root, file);
    for (const { line, target } of findLinks(fs.readFileSync(abs, 'utf8'))) {
      if (isExternal(target)) continue;
      const hash = target.indexOf('#');
      const rawPath = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const pathPart = decodeURIComponent(rawPath.split('?')[0]);
      const resolved = pathPart === '' ? abs : pathPart.startsWith('/') ? path.join(root, pathPart) : path.resolve(path.dirname(abs), pathPart);
      const report = (problem: string) => dead.push({ file, line, target, problem });
      if (!fs.existsSync(resolved)) {
        report(`no file ${path.relative(root, resolved)}`);
        continue;
      }
      if (anchor === undefined || anchor === '' || !resolved.endsWith('.md') || fs.statSync(resolved).isDirectory()) continue;
      if (!anchors(resolved).has(anchor)) report(`no heading #${anchor} in ${path.relative(root, resolved)}`);
    }
  }
  return dead;
}

/** Markdown files under `dir` (relative to `root`), recursively, sorted. */
export function markdownFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(root, rel));
    else if (e.name.endsWith('.md')) out.push(rel);
  }
  return out.sort();
}
