#!/usr/bin/env python3
"""report-check.py: look at a `tasksuite report` page in a real headless
Chromium (tests/cli/t0700-report.t, tests/slurm/t0700-report.t).

    report-check.py PAGE STATUS_JSON WORKDIR [--colours completed,failed,...]

Renders PAGE twice (--dump-dom with the console logged to stderr, and
--screenshot), then prints one line per check, "ok - what" or
"not ok - what" followed by "# why" lines, for the shell test to count.
Exit 77 (nothing printed) when there is no chromium.

Checks: no console message at all (the page logs nothing; an exception,
a CSP violation or a failed fetch would show); the script ran to its end;
the numbers on the page (counters, per-state counts, attempts, checkpoints,
retried tasks, each listed task's attempts and run time) equal those of
`tasksuite status --json`; the timeline has one bar per started attempt
(or TS_HTML_TIMELINE_ROWS rows for a big suite); and the screenshot, cut to
the timeline's box, holds pixels of each state's colour given with
--colours. Python's standard library only (a small PNG reader)."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser

COLOURS = {
    'completed': (0x2c, 0xa0, 0x2c), 'failed': (0xd6, 0x27, 0x28),
    'timeout': (0xff, 0x7f, 0x0e), 'running': (0x1f, 0x77, 0xb4),
    'node_fail': (0x94, 0x67, 0xbd), 'cancelled': (0x8c, 0x8c, 0x8c),
}
ROWS = 400
results = []


def check(cond, what, why=''):
    results.append((bool(cond), what, why))


def chromium():
    for name in ('chromium', 'chromium-browser'):
        p = shutil.which(name)
        if p:
            return p
    return None


def run_chromium(exe, work, args, page):
    cmd = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
           '--no-first-run', '--disable-extensions', '--user-data-dir=' + os.path.join(work, 'profile'),
           '--enable-logging=stderr', '--v=0', '--virtual-time-budget=10000'] + args + ['file://' + page]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)


class Dom(HTMLParser):
    """Elements by id, cells of tables by id, attributes of a few."""

    def __init__(self):
        super().__init__()
        self.text_of = {}        # id -> text
        self.attrs_of = {}       # id -> attrs
        self.state_counts = {}   # data-state -> text
        self.tables = {}         # table id -> [row: {'attrs':, 'cells': [text]}]
        self.timeline_bars = 0
        self.timeline_rows = 0
        self.body = {}
        self._open = []          # stack of (tag, id-collecting)
        self._table = None
        self._row = None
        self._cell = None
        self._cell_attrs = None
        self._in_timeline = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'body':
            self.body = a
        if 'id' in a:
            self.attrs_of[a['id']] = a
        if tag == 'svg':
            self._in_timeline = a.get('id') == 'timeline-svg'
        if self._in_timeline and tag == 'rect' and 'data-attempt' in a:
            self.timeline_bars += 1
        if self._in_timeline and tag == 'g' and 'data-task' in a:
            self.timeline_rows += 1
        if tag == 'table':
            self._table = a.get('id')
            self.tables[self._table] = []
        elif tag == 'tr' and self._table is not None:
            self._row = {'attrs': a, 'cells': []}
        elif tag == 'td' and self._row is not None:
            self._cell = ''
            self._cell_attrs = a
        self._open.append((tag, a.get('id'), a.get('data-state') if tag == 'td' else None, ''))

    def handle_endtag(self, tag):
        while self._open:
            t, i, st, text = self._open.pop()
            if i:
                self.text_of[i] = text
            if st:
                self.state_counts[st] = text
            if self._open:   # text belongs to the parents too
                pt, pi, pst, ptext = self._open[-1]
                self._open[-1] = (pt, pi, pst, ptext + text)
            if t == tag:
                break
        if tag == 'svg':
            self._in_timeline = False
        if tag == 'td' and self._row is not None and self._cell is not None:
            self._row['cells'].append((self._cell.strip(), self._cell_attrs))
            self._cell = None
        elif tag == 'tr' and self._row is not None:
            if self._row['cells']:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == 'table':
            self._table = None

    def handle_data(self, data):
        if self._open:
            t, i, st, text = self._open[-1]
            self._open[-1] = (t, i, st, text + data)
        if self._cell is not None:
            self._cell += data


def png_pixels(path):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit RGB/RGBA PNG."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError('PNG kind not handled: depth %d colour type %d' % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def close(a, b, tol=0.15):
    return abs(a - b) <= tol


def main(argv):
    if len(argv) < 4:
        print('usage: report-check.py PAGE STATUS_JSON WORKDIR [--colours a,b]', file=sys.stderr)
        return 2
    page, status_path, work = os.path.abspath(argv[1]), argv[2], os.path.abspath(argv[3])
    colours = []
    if len(argv) >= 6 and argv[4] == '--colours':
        colours = [c for c in argv[5].split(',') if c]
    exe = chromium()
    if not exe:
        return 77
    os.makedirs(work, exist_ok=True)
    with open(status_path) as f:
        st = json.load(f)

    r = run_chromium(exe, work, ['--window-size=1280,1000', '--dump-dom'], page)
    dom_text = r.stdout.decode('utf-8', 'replace')
    log = r.stderr.decode('utf-8', 'replace')
    with open(os.path.join(work, 'dom.html'), 'w') as f:
        f.write(dom_text)
    with open(os.path.join(work, 'console.log'), 'w') as f:
        f.write(log)
    console = [l for l in log.splitlines() if ':CONSOLE' in l]
    check(r.returncode == 0 and dom_text.strip(), 'chromium loads the page',
          'exit %d, %d bytes of DOM' % (r.returncode, len(dom_text)))
    check(not console, 'no console message while the page loads', '\n'.join(console[:5]))
    d = Dom()
    d.feed(dom_text)
    check(d.body.get('data-rendered') == 'yes', 'the page\'s script ran to its end',
          'body attributes: %r' % d.body)

    # the numbers against status --json
    tasks = st['tasks']
    natt = sum(len(t['attempt_history']) for t in tasks)
    nck = sum(len(t['checkpoints']) for t in tasks)
    nretried = sum(1 for t in tasks if t['attempts'] > 1)
    want = {'done': str(st['done']), 'total': str(st['total']),
            'percent': '%.1f%%' % st['percent'], 'attempts-total': str(natt),
            'checkpoints-total': str(nck), 'retried-total': str(nretried)}
    got = {k: d.text_of.get(k, '').strip() for k in want}
    check(got == want, 'the counters on the page are those of status --json',
          'page %r\njson %r' % (got, want))
    wc = {k: str(v) for k, v in st['counts'].items()}
    gc = {k: v.strip() for k, v in d.state_counts.items()}
    check(gc == wc, 'the per-state counts on the page are those of status --json',
          'page %r\njson %r' % (gc, wc))
    by_name = {t['name']: t for t in tasks}
    bad = []
    for row in d.tables.get('retried', []):
        name = row['attrs'].get('data-task')
        t = by_name.get(name)
        if t is None or row['cells'][2][0] != str(t['attempts']):
            bad.append('%s: page %s, json %s' % (name, row['cells'][2][0], t and t['attempts']))
    check(len(d.tables.get('retried', [])) == min(15, nretried) and not bad,
          'the most-retried table: the retried tasks with their attempts',
          '%d rows for %d retried; %s' % (len(d.tables.get('retried', [])), nretried, '; '.join(bad[:5])))
    bad = []
    # a running attempt runs until the page was made (its data's generated_at)
    with open(page, encoding='utf-8') as f:
        m = re.search(r'"generated_at":([0-9.]+)', f.read())
    made = float(m.group(1)) if m else None
    runs = {}
    for t in tasks:
        s = 0.0
        for a in t['attempt_history']:
            end = a['ended_at']
            if end is None and a['state'] == 'running':
                end = made
            if a['started_at'] is not None and end is not None:
                s += max(0.0, end - a['started_at'])
        runs[t['name']] = (s, sum(1 for a in t['attempt_history'] if a['started_at'] is not None))
    slow = d.tables.get('slowest', [])
    for row in slow:
        name = row['attrs'].get('data-task')
        secs = float(row['cells'][3][1].get('data-seconds', 'nan'))
        want_s, n = runs.get(name, (None, 0))
        if want_s is None or not close(secs, want_s, 0.1 * n + 0.05):
            bad.append('%s: page %.1f s, json %s s' % (name, secs, want_s))
    top = sorted(runs.values(), key=lambda v: -v[0])[:len(slow)]
    check(slow and not bad, 'the slowest tasks\' run times are those of status --json',
          '; '.join(bad[:5]))
    page_top = sorted((float(r['cells'][3][1]['data-seconds']) for r in slow), reverse=True)
    check(all(close(a, b[0], 0.1 * b[1] + 0.05) for a, b in zip(page_top, top)),
          'the slowest tasks are the slowest', 'page %r, json %r' % (page_top, [v[0] for v in top]))
    started = sum(1 for t in tasks for a in t['attempt_history'] if a['started_at'] is not None)
    if len(tasks) <= ROWS:
        check(d.timeline_bars == started and d.timeline_rows == len(tasks),
              'the timeline has a row per task and a bar per started attempt',
              '%d rows, %d bars; json: %d tasks, %d started attempts'
              % (d.timeline_rows, d.timeline_bars, len(tasks), started))
    else:
        check(d.timeline_rows == ROWS and 'Showing %d of %d tasks' % (ROWS, len(tasks)) in dom_text,
              'a big suite\'s timeline shows %d rows and says so' % ROWS,
              '%d rows' % d.timeline_rows)

    # the screenshot: the timeline's box holds each expected colour
    box = d.attrs_of.get('timeline-svg', {}).get('data-box')
    if colours:
        if not box:
            check(False, 'the timeline has a box to look at', 'no data-box on #timeline-svg')
        else:
            x, y, w, h = (int(v) for v in box.split(','))
            height = min(max(y + h + 20, 800), 16000)
            shot = os.path.join(work, 'shot.png')
            r = run_chromium(exe, work, ['--window-size=1280,%d' % height, '--screenshot=' + shot], page)
            ok = r.returncode == 0 and os.path.exists(shot)
            check(ok, 'chromium takes a screenshot', r.stderr.decode('utf-8', 'replace')[-400:])
            if ok:
                pw, ph, rows, bpp = png_pixels(shot)
                seen = {c: 0 for c in colours}
                other = 0
                for yy in range(max(0, y), min(ph, y + h)):
                    line = rows[yy]
                    for xx in range(max(0, x), min(pw, x + w)):
                        px = line[xx * bpp:xx * bpp + 3]
                        for c in colours:
                            ref = COLOURS[c]
                            if all(abs(px[i] - ref[i]) <= 6 for i in range(3)):
                                seen[c] += 1
                                break
                        else:
                            other += 1
                check(all(seen[c] >= 20 for c in colours),
                      'the screenshot shows the timeline\'s bars in the colours of ' + ', '.join(colours),
                      'pixels per colour in the box %s of a %dx%d screenshot: %r' % (box, pw, ph, seen))
    for ok, what, why in results:
        print(('ok' if ok else 'not ok') + ' - ' + what)
        if not ok and why:
            for l in str(why).splitlines():
                print('# ' + l)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
