/**
 * Every relative link (and #anchor) in README.md, BENCHMARKS.md and docs/ resolves. The checker
 * is proven on a fixture holding dead links (test/fixtures/docs-links), so a check that finds
 * nothing means the docs are sound, not that the checker is blind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { anchorsOf, deadLinks, headingSlug, markdownFiles } from './support/doc-links';

const ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'docs-links');

test('README.md, BENCHMARKS.md and every docs/ page have no dead relative link or anchor', () => {
  const files = ['README.md', 'BENCHMARKS.md', ...markdownFiles(ROOT, 'docs')];
  expect(files).toContain('docs/operations.md');
  expect(deadLinks(ROOT, files)).toEqual([]);
});

test('README.md is the front door: at most 300 lines, the 3 a.m. runbook one click away', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  expect(readme).toMatch(/\[the 3 a\.m\. runbook\]\(docs\/operations\.md\)/);
});

test('the checker reports the fixture dead page, dead anchor, dead image and dead reference, nothing else', () => {
  expect(deadLinks(FIXTURE, ['index.md', 'sub/page.md'])).toEqual([
    { file: 'index.md', line: 9, target: 'sub/missing.md', problem: 'no file sub/missing.md' },
    { file: 'index.md', line: 9, target: 'sub/page.md#no-such-heading', problem: 'no heading #no-such-heading in sub/page.md' },
    { file: 'index.md', line: 10, target: 'img/missing.png', problem: 'no file img/missing.png' },
    { file: 'index.md', line: 18, target: 'sub/gone.md', problem: 'no file sub/gone.md' },
  ]);
});

test('heading ids follow GitHub: no punctuation, spaces to dashes, repeats numbered', () => {
  expect(headingSlug('Operator access (`<app>-dr-operator`)')).toBe('operator-access-app-dr-operator');
  expect(headingSlug('Scenario: ransomware / malicious deletes')).toBe('scenario-ransomware--malicious-deletes');
  expect(headingSlug('A killed or stopped restore: "unfinished" targets and `--resume`')).toBe('a-killed-or-stopped-restore-unfinished-targets-and---resume');
  expect([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n## A\n')]).toEqual(['a', 'a-1', 'a-2']);
});
