// Runs Electronegativity from its own folder (.tools/electronegativity; it clashes with the project's
// TypeScript) against the built app, parses its CSV, and fails on any finding above LOW unless the
// source line it points at carries a justification comment: `electronegativity CHECK_ID: why`.
// Its CSV writer races its header against the first row (seen: a row's start overwritten), and its SARIF
// output carries no severity; so the CSV is validated row by row, rewritten on a retry when damaged,
// and checked against the SARIF report's findings, so that no finding can go missing unnoticed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const toolDir = join(root, '.tools', 'electronegativity');
const bin = join(toolDir, 'node_modules', '.bin', 'electronegativity');
const VERSION = '1.10.3';

if (!existsSync(bin)) {
  mkdirSync(toolDir, { recursive: true });
  writeFileSync(join(toolDir, 'package.json'), JSON.stringify({ name: 'electronegativity-runner', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `@doyensec/electronegativity@${VERSION}`], { cwd: toolDir, stdio: 'inherit' });
}
if (!existsSync(join(root, 'out', 'main', 'index.js'))) {
  console.error('Build the app first (npm run build).');
  process.exit(1);
}
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;

function scan(output) {
  rmSync(output, { force: true });
  const run = spawnSync(bin, ['-i', join(root, 'out'), '-o', output, '-e', electronVersion], { cwd: toolDir, encoding: 'utf8' });
  if (run.status !== 0 || !existsSync(output)) {
    console.error(`Electronegativity did not run: ${run.stderr || run.stdout}`);
    process.exit(1);
  }
  return readFileSync(output, 'utf8');
}

export function parseCsv(text) {
  const rows = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const cells = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') cells.push(cur), (cur = '');
      else cur += c;
    }
    cells.push(cur);
    const [issue, severity, confidence, filename, location, sample, description] = cells;
    rows.push({ issue, severity, confidence, filename, location, sample, description });
  }
  return rows;
}

function sourceFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|html)$/.test(e.name)) out.push(p);
  }
  return out;
}

const norm = (s) => s.replace(/["']/g, "'").replace(/\s+/g, ' ').trim().replace(/,$/, '');
const sources = [...sourceFiles(join(root, 'src-main')), ...sourceFiles(join(root, 'src-renderer'))].map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n') }));

/** A finding is justified when its sample's source line, or the line above, says why. */
function justification(finding) {
  const sample = norm(finding.sample);
  for (const { f, lines } of sources) {
    for (let i = 0; i < lines.length; i++) {
      if (!sample || norm(lines[i]) !== sample) continue;
      const tag = `electronegativity ${finding.issue}:`;
      for (const l of [lines[i], lines[i - 1] ?? '']) if (l.includes(tag)) return `${f.slice(root.length + 1)}:${i + 1}`;
    }
  }
  return null;
}

const HEADER = 'issue, severity, confidence, filename, location, sample, description, url';
const SEVERITIES = new Set(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
const wellFormed = (text, rows) => text.split('\n')[0] === HEADER && rows.every((r) => /^[A-Z0-9_]+$/.test(r.issue) && SEVERITIES.has(r.severity) && /^\d+:\d+$/.test(r.location ?? ''));

let findings = null;
for (let attempt = 1; attempt <= 3 && !findings; attempt++) {
  const text = scan(join(toolDir, 'report.csv'));
  const rows = parseCsv(text);
  if (wellFormed(text, rows)) findings = rows;
  else console.log(`Electronegativity wrote a damaged CSV (attempt ${attempt}); running it again.`);
}
if (!findings) {
  console.error('Electronegativity kept writing a damaged CSV report; the gate cannot judge it.');
  process.exit(1);
}
const sarif = JSON.parse(scan(join(toolDir, 'report.sarif')));
const key = (issue, file, line) => `${issue} ${file}:${line}`;
const fromSarif = sarif.runs.flatMap((r) => r.results).map((r) => key(r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri, r.locations[0].physicalLocation.region.startLine)).sort();
const fromCsv = findings.map((f) => key(f.issue, f.filename, f.location.split(':')[0])).sort();
if (JSON.stringify(fromSarif) !== JSON.stringify(fromCsv)) {
  console.error(`The CSV and SARIF reports disagree:\n  csv:   ${fromCsv.join('\n         ')}\n  sarif: ${fromSarif.join('\n         ')}`);
  process.exit(1);
}
let failed = 0;
for (const f of findings) {
  const high = f.severity !== 'LOW' && f.severity !== 'INFORMATIONAL';
  const where = high ? justification(f) : null;
  const verdict = !high ? 'ok (LOW)' : where ? `justified at ${where}` : 'NOT JUSTIFIED';
  if (high && !where) failed++;
  console.log(`${f.severity.padEnd(7)} ${f.issue.padEnd(34)} ${f.filename.replace(root + '/', '')}:${f.location}  ${verdict}`);
}
console.log(`Electronegativity ${VERSION}: ${findings.length} finding(s), ${failed} above LOW without justification.`);
process.exit(failed ? 1 : 0);
