// The newcomer's path end to end with the real CLI: `bash scripts/demo.sh` on a fresh copy of the
// repository (no .imagewarden/), the emails in its outbox read back with mailparser, an ack link
// followed through a real `imagewarden serve-ack`, the report rendered by headless Chromium
// (Debian `chromium`) at desktop and phone widths, and a report of hostile strings rendered inert.
// Screenshots go to test-artifacts/ of the repository (gitignored) for a person to look at.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildRun, runCommand } from '../support/child.ts';
import { writeHostileReportInput } from '../support/hostile-report-input.ts';
import { requireBinary } from '../support/require.ts';

const REPO = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(REPO, 'test-artifacts');
const DEMO_CONFIG = 'examples/demo/imagewarden.yaml';
// the machine is shared and slow at times: generous limits, no sleeps
const LONG = 600_000;

/** The environment of a newcomer's shell: no imagewarden settings from the test runner's. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IMAGEWARDEN_')) env[k] = v;
  return { ...env, ...extra };
}

/** Tracked and untracked-not-ignored files, copied with tar so mtimes stay (setup.sh compares them). */
function freshCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'iw-demo-copy-'));
  const list = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO });
  if (list.status !== 0) throw new Error(`git ls-files failed: ${list.stderr.toString()}`);
  const files = list.stdout
    .toString('utf8')
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(REPO, f)));
  const archive = join(copy, '.copy.tar');
  const pack = spawnSync('tar', ['-C', REPO, '--null', '-T', '-', '-cf', archive], {
    input: files.join('\0'),
  });
  if (pack.status !== 0) throw new Error(`tar -c failed: ${pack.stderr.toString()}`);
  const unpack = spawnSync('tar', ['-C', copy, '-xf', archive]);
  if (unpack.status !== 0) throw new Error(`tar -x failed: ${unpack.stderr.toString()}`);
  rmSync(archive);
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
  // The shared install stands for one a newcomer already has: setup.sh must not reinstall into
  // it through the link, so the copy's lock file is not newer than the installed one.
  const installed = statSync(join(REPO, 'node_modules', '.package-lock.json')).mtime;
  const lock = join(copy, 'package-lock.json');
  if (statSync(lock).mtime > installed) utimesSync(lock, installed, installed);
  return copy;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): [number, number] {
  const header = readFileSync(file).subarray(0, 24);
  expect(header.subarray(1, 4).toString('ascii')).toBe('PNG');
  expect(header.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return [header.readUInt32BE(16), header.readUInt32BE(20)];
}

async function screenshot(html: string, png: string, width: number, height: number): Promise<void> {
  const chromium = requireBinary('chromium', 'chromium');
  rmSync(png, { force: true });
  const profile = mkdtempSync(join(tmpdir(), 'iw-chromium-'));
  try {
    const result = await runCommand(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--screenshot=${png}`,
        `--window-size=${width},${height}`,
        `file://${html}`,
      ],
      { env: cleanEnv() },
    );
    expect(result.code, result.stderr).toBe(0);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  expect(pngSize(png)).toEqual([width, height]);
}

interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

async function readOutbox(dir: string): Promise<Mail[]> {
  const mails: Mail[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.eml'))) {
    const parsed = await simpleParser(readFileSync(join(dir, file)));
    const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? '');
    mails.push({
      to,
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: String(parsed.html || ''),
    });
  }
  return mails;
}

/** "<vulnerability> <package>" -> fixed version, from the SAMPLE Clair reports the demo ships. */
function sampleFixes(): Map<string, string> {
  const fixes = new Map<string, string>();
  const dir = join(REPO, 'examples/demo/clair-reports');
  for (const file of readdirSync(dir)) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      vulnerabilities: Record<string, { name: string; package: { name: string }; fixed_in_version: string }>;
    };
    for (const v of Object.values(report.vulnerabilities))
      fixes.set(`${v.name} ${v.package.name}`, v.fixed_in_version);
  }
  return fixes;
}

let copy: string;
let demo: ChildRun;
let scratch: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'iw-demo-scratch-'));
  copy = freshCopy();
  expect(existsSync(join(copy, '.imagewarden'))).toBe(false);
  demo = await runCommand('bash', ['scripts/demo.sh'], { cwd: copy, env: cleanEnv(), timeoutMs: 600_000 });
}, LONG);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const outbox = () => join(copy, '.imagewarden/demo/outbox');
const ackEnv = () =>
  cleanEnv({
    IMAGEWARDEN_CONFIG: DEMO_CONFIG,
    IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY: `file:${join(copy, '.imagewarden/demo-ack.key')}`,
  });

describe('scripts/demo.sh on a fresh copy', () => {
  it('says first what is happening and how long, runs two cycles, the second sends nothing and says why', () => {
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    const first = demo.stdout.split('\n')[0] ?? '';
    expect(first).toMatch(/^imagewarden demo: /);
    expect(first).toMatch(/SAMPLE data/);
    expect(first).toMatch(/about a minute|seconds/);
    const [cycle1, cycle2] = demo.stdout.split('== cycle 2').map((part) => part ?? '');
    expect(cycle1).toMatch(/notify: .*sent [1-9]\d*, pending 0, refused 0/);
    expect(cycle2).toMatch(/sent 0, pending 0, refused 0/);
    expect(cycle2).toMatch(
      /notify: nothing new to send: of the alerted findings, \d+ already sent and unchanged/,
    );
    expect(demo.stdout).toContain('.imagewarden/demo/report/index.html');
    expect(existsSync(join(copy, '.imagewarden/demo/report/index.html'))).toBe(true);
    // nothing the newcomer has to wade through: npm's error wall stays out of the output
    expect(`${demo.stdout}${demo.stderr}`).not.toMatch(/npm error/);
  });

  it('mails each owner their vulnerabilities with fixed versions, and the security contact the unowned and policy items', async () => {
    const mails = await readOutbox(outbox());
    const byTo = new Map(mails.map((m) => [m.to, m]));
    expect(mails.length).toBe(byTo.size); // one digest per recipient
    const fixes = sampleFixes();
    for (const owner of [
      'web-team@example.org',
      'api-team@example.org',
      'batch@example.org',
      'api@example.org',
    ]) {
      const mail = byTo.get(owner);
      if (!mail) throw new Error(`no email to ${owner}; got ${[...byTo.keys()].join(', ')}`);
      const items = [...mail.text.matchAll(/(CRITICAL|HIGH) (SAMPLE-2026-\d{4}) in (\S+) (\S+) -> (\S+)/g)];
      expect(items.length, mail.text).toBeGreaterThan(0);
      for (const [, , id, pkg, , fixed] of items) expect(fixed).toBe(fixes.get(`${id} ${pkg}`));
      expect(mail.subject).toMatch(/new (critical|high)/);
      expect(mail.text).toMatch(/Acknowledge: http:\/\/127\.0\.0\.1:8787\/ack\?t=/);
    }
    const security = byTo.get('security@example.org');
    if (!security) throw new Error('no email to the security contact');
    // the unowned images and their policy breaches
    expect(security.text).toContain('== ghcr.io/example/log-shipper');
    expect(security.text).toContain('== harbor.example.org/library/postgres');
    expect(security.text).toMatch(/POLICY no-owner/);
    expect(security.text).toMatch(/POLICY stale-image/);
    expect(security.text).toMatch(/POLICY unapproved-registry/);
    // owners' items are not copied to the security contact
    expect(security.text).not.toContain('harbor.example.org/usit/web-portal');
  });

  it('an ack link works through serve-ack; the report shows it and a third run sends nothing', async () => {
    const batch = (await readOutbox(outbox())).find((m) => m.to === 'batch@example.org');
    const link = batch?.text.match(/Acknowledge: (http:\/\/\S+)/)?.[1];
    if (!link) throw new Error(`no ack link in the mail to batch@example.org:\n${batch?.text}`);

    const server = spawn('node', ['bin/imagewarden.mjs', 'serve-ack', '--port', '0'], {
      cwd: copy,
      env: ackEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const base = await new Promise<string>((resolveUrl, reject) => {
        let seen = '';
        server.stderr.on('data', (chunk: Buffer) => {
          seen += chunk.toString('utf8');
          const url = seen.match(/serving acknowledgement links on (http:\/\/\S+)\/ack/)?.[1];
          if (url) resolveUrl(url);
        });
        server.on('exit', (code) => reject(new Error(`serve-ack exited ${code}: ${seen}`)));
      });
      const url = new URL(link);
      const target = new URL(`${url.pathname}${url.search}`, base);

      const confirm = await fetch(target);
      const page = await confirm.text();
      expect(confirm.status).toBe(200);
      expect(page).toContain('Acknowledge this finding?');
      expect(page).toContain('batch@example.org');
      const token = page.match(/name="t" value="([^"]+)"/)?.[1];
      expect(token).toBe(url.searchParams.get('t'));

      const posted = await fetch(new URL('/ack', base), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          t: token ?? '',
          reason: 'patched in the next batch release',
          days: '14',
        }),
      });
      const recorded = await posted.text();
      expect(posted.status).toBe(200);
      expect(recorded).toContain('Acknowledged');
      expect(recorded).toContain('imagewarden ack revoke');
    } finally {
      server.kill('SIGTERM');
    }
    const exit = await new Promise<number | null>((r) =>
      server.exitCode !== null ? r(server.exitCode) : server.on('exit', r),
    );
    expect(exit).toBe(0);

    const report = await runCommand('node', ['bin/imagewarden.mjs', 'report', '--json'], {
      cwd: copy,
      env: ackEnv(),
    });
    expect(report.code, report.stderr).toBe(0);
    const model = JSON.parse(report.stdout) as {
      acks: Array<{ covers: string; reason: string; author: string; expiresAt: string }>;
    };
    expect(model.acks).toHaveLength(1);
    const [ack] = model.acks;
    expect(ack?.author).toBe('batch@example.org');
    expect(ack?.reason).toBe('patched in the next batch release');
    expect(ack?.covers).toContain('SAMPLE-2026-0009');
    const days = (Date.parse(ack?.expiresAt ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13);
    expect(days).toBeLessThanOrEqual(14);

    const third = await runCommand('node', ['bin/imagewarden.mjs', 'run'], { cwd: copy, env: ackEnv() });
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/sent 0, pending 0, refused 0/);
    expect(third.stdout).toMatch(/notify: nothing new to send: .*1 acknowledged/);
  });

  it('renders the report in Chromium at 1280 px and on a phone (390 px)', async () => {
    // rebuilt after the ack so the page shows every section filled
    const out = join(scratch, 'demo-report');
    const made = await runCommand('node', ['bin/imagewarden.mjs', 'report', '--out', out], {
      cwd: copy,
      env: ackEnv(),
    });
    expect(made.code, made.stderr).toBe(0);
    const html = join(out, 'index.html');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('SAMPLE-2026-0001');
    expect(page).toContain('patched in the next batch release');
    expect(page).not.toMatch(/<script|<link |src="http/i);
    await screenshot(html, join(ARTIFACTS, 'report-desktop-1280.png'), 1280, 2400);
    await screenshot(html, join(ARTIFACTS, 'report-phone-390.png'), 390, 3200);
  });
});

describe('a report of hostile strings', () => {
  it('renders inert: no markup, control or bidi characters from the input are live', async () => {
    const dir = join(scratch, 'hostile');
    mkdirSync(dir, { recursive: true });
    const config = writeHostileReportInput(dir);
    const env = cleanEnv({ IMAGEWARDEN_CONFIG: config });
    // the inventory is partial (rejected owner labels are counted): exit 1 is its honest status
    const cycle = await runCommand('node', ['bin/imagewarden.mjs', 'run'], { cwd: copy, env });
    expect(cycle.stdout).toMatch(/scan: 3 digests/);
    const out = join(dir, 'report');
    const made = await runCommand('node', ['bin/imagewarden.mjs', 'report', '--out', out], {
      cwd: copy,
      env,
    });
    expect(made.code, made.stderr).toBe(0);
    const html = join(out, 'index.html');
    const page = readFileSync(html, 'utf8');

    // the hostile strings reached the page (as text), so the test below is about something
    expect(page).toContain('web&lt;script&gt;alert(&quot;iw-script&quot;)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(&quot;iw-img&quot;)&gt;');
    expect(page).toContain('evil\\u{202e}gpj.exe\\u{202c}');
    expect(page).toContain('bell\\u{0007}esc\\u{001b}[31mred\\u{0000}nul');
    expect(page).toContain('very-long-team-name-9');
    // ...and nothing of them is live: every tag in the page is one the renderer writes, no
    // event-handler attributes, one style block, links only to http(s)
    const tags = [...page.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)];
    const names = new Set(tags.map((t) => (t[1] ?? '').toLowerCase()));
    const written = [
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'header',
      'h1',
      'h2',
      'h3',
      'p',
      'main',
      'section',
      'div',
      'b',
      'span',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
      'code',
      'a',
      'br',
      'ul',
      'li',
      'wbr',
    ];
    expect([...names].filter((n) => !written.includes(n))).toEqual([]);
    expect(tags.filter((t) => /\son\w+\s*=/i.test(t[2] ?? '')).map((t) => t[0])).toEqual([]);
    expect((page.match(/<style>/g) ?? []).length).toBe(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
    expect(page).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
    for (const href of page.matchAll(/href="([^"]*)"/g)) expect(href[1]).toMatch(/^https?:\/\//);

    await screenshot(html, join(ARTIFACTS, 'report-hostile-1280.png'), 1280, 1600);
    await screenshot(html, join(ARTIFACTS, 'report-hostile-390.png'), 390, 2400);
  });
});
