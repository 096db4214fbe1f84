/* page.js: draws `tasksuite report` from the JSON in #ts-data (inlined
 * into the page; see htmlreport.h). Text goes in with textContent only. */
'use strict';
(function () {
  var ROWS = 400;          /* timeline rows at most (TS_HTML_TIMELINE_ROWS) */
  var TOP = 15;            /* rows of the slowest / most-retried tables */
  var SVGNS = 'http://www.w3.org/2000/svg';
  var COLOURS = {
    completed: '#2ca02c', failed: '#d62728', timeout: '#ff7f0e', cancelled: '#8c8c8c',
    node_fail: '#9467bd', preempted: '#8c564b', running: '#1f77b4', pending: '#c9ced6',
    ended_by_signal: '#e377c2', skipped: '#bcbd22'
  };
  var STATES = ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled',
                'node_fail', 'preempted', 'skipped'];

  var D = JSON.parse(document.getElementById('ts-data').textContent);
  var S = D.suite;
  var app = document.getElementById('app');
  var NOW = S.generated_at - S.created_at;   /* "now", seconds after the suite's creation */

  /* ------------------------------------------------------------ helpers */
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) parent.appendChild(arguments[i]);
    return arguments[arguments.length - 1];
  }
  function colour(st) { return COLOURS[st] || '#444'; }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function dur(s) {
    if (s === null || s === undefined || isNaN(s)) return '-';
    if (s < 60) return (Math.round(s * 10) / 10) + ' s';
    s = Math.round(s);
    if (s < 3600) return Math.floor(s / 60) + 'm ' + pad2(s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + pad2(Math.floor(s % 3600 / 60)) + 'm';
    return Math.floor(s / 86400) + 'd ' + pad2(Math.floor(s % 86400 / 3600)) + 'h';
  }
  function clock(rel) {
    if (rel === null || rel === undefined) return '-';
    var d = new Date((S.created_at + rel) * 1000);
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' +
      pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }
  function pct(x) { return (Math.round(x * 1000) / 10).toFixed(1) + '%'; }
  function section(id, title) {
    var s = add(app, el('section', { id: id }));
    add(s, el('h2', {}, title));
    return s;
  }
  function note(parent, text) { return add(parent, el('p', { 'class': 'note' }, text)); }
  function swatch(st) { var s = el('span', { 'class': 'swatch' }); s.style.background = colour(st); return s; }
  function table(parent, id, heads) {
    var t = add(parent, el('table', { id: id }));
    var tr = add(add(t, el('thead')), el('tr'));
    heads.forEach(function (h) {
      add(tr, el('th', h.charAt(0) === '#' ? { 'class': 'n' } : {}, h.replace(/^#/, '')));
    });
    return add(t, el('tbody'));
  }
  function cell(tr, text, cls, attrs) {
    var td = el('td', attrs || {}, text);
    if (cls) td.setAttribute('class', cls);
    return add(tr, td);
  }

  /* ------------------------------------------------------------ the data */
  var tasks = D.tasks.map(function (r) {
    var t = { idx: r[0], name: r[1], state: r[2], attempts: r[3], att: [], ck: [],
              run: 0, longest: 0, longestUse: null, gaps: 0, ngaps: 0 };
    r[4].forEach(function (a) {
      var o = { n: a[0], state: a[1], node: a[2], start: a[3], end: a[4], exit: a[5],
                signal: a[6], job: a[7] };
      o.stop = o.end !== null ? o.end : (o.state === 'running' ? NOW : o.start);
      o.dur = o.start !== null && o.stop !== null ? Math.max(0, o.stop - o.start) : null;
      o.use = o.dur !== null && S.walltime_s ? o.dur / S.walltime_s : null;
      if (o.dur !== null) {
        t.run += o.dur;
        if (o.dur >= t.longest) { t.longest = o.dur; t.longestUse = o.use; }
      }
      t.att.push(o);
    });
    r[5].forEach(function (c) { t.ck.push({ attempt: c[0], at: c[1], step: c[2] }); });
    for (var i = 1; i < t.att.length; i++) {
      var p = t.att[i - 1], a = t.att[i];
      if (p.end !== null && a.start !== null) {
        a.gap = Math.max(0, a.start - p.end);
        t.gaps += a.gap;
        t.ngaps++;
      }
    }
    return t;
  });
  var nattempts = 0, ncheckpoints = 0, tmax = 0;
  tasks.forEach(function (t) {
    nattempts += t.att.length;
    ncheckpoints += t.ck.length;
    t.att.forEach(function (a) { if (a.stop !== null && a.stop > tmax) tmax = a.stop; });
    t.ck.forEach(function (c) { if (c.at > tmax) tmax = c.at; });
  });
  D.hooks.forEach(function (h) { if (h[4] !== null && h[4] > tmax) tmax = h[4]; });
  if (tmax <= 0) tmax = 1;

  /* ------------------------------------------------------------ summary */
  document.getElementById('subtitle').textContent = 'suite ' + S.state + ' \u00b7 ' +
    S.done + '/' + S.total + ' done (' + S.percent.toFixed(1) + '%) \u00b7 created ' + clock(0) +
    ' \u00b7 report of ' + clock(NOW) + (S.dir ? ' \u00b7 ' + S.dir : '');
  if (S.sync_error) {
    add(app, el('p', { 'class': 'warn' }, 'Not refreshed from Slurm: ' + S.sync_error +
      ' (the journal as it was)'));
  }
  (function () {
    var s = section('summary', 'State');
    var cards = add(s, el('div', { 'class': 'cards' }));
    function card(id, big, label) {
      var c = add(cards, el('div', { 'class': 'card' }));
      add(c, el('div', { 'class': 'big', id: id }, big));
      add(c, el('div', { 'class': 'label' }, label));
    }
    card('done', S.done, 'tasks done');
    card('total', S.total, 'tasks in the suite');
    card('percent', S.percent.toFixed(1) + '%', 'done');
    card('attempts-total', nattempts, 'attempts');
    card('retried-total', tasks.filter(function (t) { return t.attempts > 1; }).length,
         'tasks retried');
    card('checkpoints-total', ncheckpoints, 'checkpoints');
    var bar = add(s, el('div', { 'class': 'stack', title: 'tasks by state' }));
    STATES.forEach(function (st) {
      if (!S.counts[st] || !S.total) return;
      var seg = add(bar, el('div', { title: st + ': ' + S.counts[st] }));
      seg.style.width = (100 * S.counts[st] / S.total) + '%';
      seg.style.background = colour(st);
    });
    var tb = table(s, 'states', ['state', '#tasks', '#share']);
    STATES.forEach(function (st) {
      var tr = add(tb, el('tr'));
      var td = cell(tr, '');
      add(td, swatch(st));
      add(td, document.createTextNode(st));
      cell(tr, S.counts[st], 'n', { 'data-state': st });
      cell(tr, S.total ? pct(S.counts[st] / S.total) : '-', 'n');
    });
  })();

  /* ------------------------------------------------------------ timeline */
  function legend(parent, states, extra) {
    var lg = add(parent, el('p', { 'class': 'legend' }));
    states.forEach(function (st) {
      var sp = add(lg, el('span'));
      add(sp, swatch(st));
      add(sp, document.createTextNode(st));
    });
    (extra || []).forEach(function (x) { add(lg, el('span', {}, x)); });
  }
  function ticks(max, n) {
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
                 21600, 43200, 86400, 172800, 604800];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) if (max / steps[i] <= n) { step = steps[i]; break; }
    var out = [];
    for (var t = 0; t <= max + 1e-9; t += step) out.push(t);
    return out;
  }
  function tickLabel(t) {
    if (t === 0) return '0';
    if (t % 86400 === 0) return (t / 86400) + 'd';
    if (t % 3600 === 0) return (t / 3600) + 'h';
    if (t % 60 === 0) return (t / 60) + 'm';
    return t + 's';
  }
  function axis(svg, x0, width, top, bottom) {
    ticks(tmax, 10).forEach(function (t) {
      var x = x0 + width * t / tmax;
      add(svg, sv('line', { 'class': 'grid', x1: x, x2: x, y1: top, y2: bottom }));
      add(svg, sv('text', { x: x, y: top - 4, 'text-anchor': 'middle' }, '+' + tickLabel(t)));
    });
  }
  (function () {
    var s = section('timeline', 'Timeline: every attempt per task');
    var rows = tasks;
    if (tasks.length > ROWS) {
      rows = tasks.slice().sort(function (a, b) {
        var ua = a.state === 'completed' ? 1 : 0, ub = b.state === 'completed' ? 1 : 0;
        return ua - ub || b.attempts - a.attempts || b.run - a.run || a.idx - b.idx;
      }).slice(0, ROWS).sort(function (a, b) { return a.idx - b.idx; });
      note(s, 'Showing ' + ROWS + ' of ' + tasks.length + ' tasks: the unfinished, the most ' +
        'retried and the slowest first (the chart below it counts every attempt).');
    }
    legend(s, ['completed', 'failed', 'timeout', 'running', 'node_fail', 'preempted',
               'cancelled', 'skipped', 'ended_by_signal'],
           ['\u25bc checkpoint', '- - - resume gap']);
    var LABEL = 190, W = 1140, PLOT = W - LABEL - 20, RH = rows.length > 80 ? 10 : 18, TOPM = 22;
    var H = TOPM + rows.length * RH + 8;
    var wrap = add(s, el('div', { 'class': 'scroll' }));
    var svg = add(wrap, sv('svg', { id: 'timeline-svg', width: W, height: H,
                                    viewBox: '0 0 ' + W + ' ' + H }));
    axis(svg, LABEL, PLOT, TOPM, H - 4);
    function X(t) { return LABEL + PLOT * Math.max(0, t) / tmax; }
    rows.forEach(function (t, i) {
      var y = TOPM + i * RH, bh = RH - (RH > 12 ? 6 : 2);
      var name = t.name.length > 28 ? t.name.slice(0, 27) + '\u2026' : t.name;
      var lab = add(svg, sv('text', { 'class': 'rowlabel', x: LABEL - 6, y: y + RH / 2 + (RH > 12 ? 4 : 3.5),
                                      'text-anchor': 'end', style: RH > 12 ? '' : 'font-size: 9px' },
                            name));
      add(lab, sv('title', {}, t.name + ' (' + t.state + ', ' + t.attempts + ' attempt' +
                               (t.attempts === 1 ? '' : 's') + ')'));
      var g = add(svg, sv('g', { 'data-task': t.name }));
      var prev = null;
      t.att.forEach(function (a) {
        if (a.start === null) { prev = a; return; }
        if (prev && prev.end !== null && a.gap !== undefined) {
          add(g, sv('line', { 'class': 'gap', x1: X(prev.end), x2: X(a.start),
                               y1: y + RH / 2, y2: y + RH / 2 }));
        }
        var x = X(a.start), w = Math.max(2, X(a.stop) - x);
        var r = add(g, sv('rect', { x: x, y: y + (RH - bh) / 2, width: w, height: bh, rx: 1.5,
                                    fill: colour(a.state), 'data-attempt': a.n }));
        add(r, sv('title', {}, t.name + ', attempt ' + a.n + ' on ' + (a.node || '?') +
          (a.job ? ' (job ' + a.job + ')' : '') + ': ' + clock(a.start) + ' \u2192 ' +
          (a.end !== null ? clock(a.end) : 'still running') + ', ' + dur(a.dur) +
          (a.use !== null ? ' (' + pct(a.use) + ' of the walltime)' : '') + ', ' + a.state +
          (a.exit !== null ? ', exit ' + a.exit : '') + (a.signal !== null ? ', signal ' + a.signal : '') +
          (a.gap !== undefined ? '; resumed ' + dur(a.gap) + ' after the previous attempt' : '')));
        prev = a;
      });
      t.ck.forEach(function (c) {
        var cx = X(c.at), cy = y + (RH > 12 ? 3 : 1);
        var m = add(g, sv('path', { 'class': 'ck', d: 'M' + (cx - 3.5) + ' ' + (cy - 1) + 'h7l-3.5 5z' }));
        add(m, sv('title', {}, t.name + ': checkpoint of attempt ' + c.attempt +
          (c.step !== null ? ', step ' + c.step : '') + ' at ' + clock(c.at)));
      });
    });
  })();

  /* ------------------------------------------------------------ concurrency */
  (function () {
    var s = section('concurrency', 'Attempts running over time (all tasks)');
    var B = 240, W = 1140, LABEL = 60, PLOT = W - LABEL - 20, H = 170, TOPM = 20, BOT = 20;
    var groups = ['completed', 'failed', 'timeout', 'running', 'other'];
    var diff = {};
    groups.forEach(function (g) { diff[g] = new Float64Array(B + 1); });
    tasks.forEach(function (t) {
      t.att.forEach(function (a) {
        if (a.start === null || a.stop === null) return;
        var g = groups.indexOf(a.state) >= 0 ? a.state : 'other';
        /* running at a bucket's middle */
        var first = Math.max(0, Math.ceil(a.start / tmax * B - 0.5));
        var last = Math.min(B - 1, Math.ceil(a.stop / tmax * B - 0.5) - 1);
        if (last < first) { first = last = Math.min(B - 1, Math.max(0, Math.floor(a.start / tmax * B))); }
        diff[g][first] += 1;
        diff[g][last + 1] -= 1;
      });
    });
    var series = {}, peak = 1;
    groups.forEach(function (g) {
      var run = 0;
      series[g] = [];
      for (var i = 0; i < B; i++) { run += diff[g][i]; series[g].push(run); }
    });
    for (var i = 0; i < B; i++) {
      var sum = 0;
      groups.forEach(function (g) { sum += series[g][i]; });
      if (sum > peak) peak = sum;
    }
    var wrap = add(s, el('div', { 'class': 'scroll' }));
    var svg = add(wrap, sv('svg', { id: 'concurrency-svg', width: W, height: H,
                                    viewBox: '0 0 ' + W + ' ' + H }));
    axis(svg, LABEL, PLOT, TOPM, H - BOT);
    var ph = H - TOPM - BOT, bw = PLOT / B;
    add(svg, sv('text', { x: LABEL - 6, y: TOPM + 4, 'text-anchor': 'end' }, String(peak)));
    add(svg, sv('text', { x: LABEL - 6, y: H - BOT, 'text-anchor': 'end' }, '0'));
    for (i = 0; i < B; i++) {
      var y = H - BOT;
      groups.forEach(function (g) {
        var v = series[g][i];
        if (!v) return;
        var h = ph * v / peak;
        y -= h;
        add(svg, sv('rect', { x: LABEL + i * bw, y: y, width: bw + 0.3, height: h,
                              fill: g === 'other' ? '#9467bd' : colour(g) }));
      });
    }
    note(s, 'Peak: ' + peak + ' attempts at once. Colours: how each attempt ended ' +
      '(other: node_fail, preempted, cancelled, ended_by_signal).');
  })();

  /* ------------------------------------------------------------ walltime */
  (function () {
    var s = section('walltime', S.walltime_s ? 'Walltime use per attempt' : 'Attempt durations');
    var all = [];
    tasks.forEach(function (t) { t.att.forEach(function (a) { if (a.dur !== null) all.push(a); }); });
    var bins = 11, counts = [], labels = [], i;
    for (i = 0; i < bins; i++) counts.push({});
    var maxd = 0;
    all.forEach(function (a) { if (a.dur > maxd) maxd = a.dur; });
    all.forEach(function (a) {
      var b = S.walltime_s ? Math.min(10, Math.floor(a.use * 10)) :
        (maxd > 0 ? Math.min(10, Math.floor(a.dur / maxd * 10)) : 0);
      counts[b][a.state] = (counts[b][a.state] || 0) + 1;
    });
    for (i = 0; i < bins; i++) {
      if (S.walltime_s) labels.push(i < 10 ? (i * 10) + '\u2013' + (i * 10 + 10) + '%' : '\u2265100%');
      else labels.push(i < 10 ? dur(maxd * i / 10) + '\u2013' + dur(maxd * (i + 1) / 10) : dur(maxd));
    }
    if (S.walltime_s) {
      note(s, 'Time limit ' + dur(S.walltime_s) + '. Each attempt\u2019s run time as a share of it ' +
        '(an attempt that ran into the limit ends near 100%).');
    } else {
      note(s, 'No time limit recorded for these tasks (a --local suite, or no slurm.time): ' +
        'run times instead.');
    }
    var tb = table(s, 'walltime-bins', [S.walltime_s ? 'walltime used' : 'run time', '#attempts', 'by end state']);
    for (i = 0; i < bins; i++) {
      var n = 0, k;
      for (k in counts[i]) n += counts[i][k];
      if (!n) continue;
      var tr = add(tb, el('tr'));
      cell(tr, labels[i]);
      cell(tr, n, 'n');
      var td = cell(tr, '');
      var bar = add(td, el('div', { 'class': 'stack' }));
      bar.style.width = Math.max(4, 300 * n / all.length) + 'px';
      for (k in counts[i]) {
        var seg = add(bar, el('div', { title: k + ': ' + counts[i][k] }));
        seg.style.width = (100 * counts[i][k] / n) + '%';
        seg.style.background = colour(k);
      }
    }
  })();

  /* ------------------------------------------------------------ slowest */
  (function () {
    var s = section('slow', 'Slowest tasks');
    var top = tasks.filter(function (t) { return t.att.length; }).sort(function (a, b) {
      return b.run - a.run || a.idx - b.idx;
    }).slice(0, TOP);
    if (!top.length) { note(s, 'No attempt has started yet.'); return; }
    var tb = table(s, 'slowest', ['task', 'state', '#attempts', '#run time (all attempts)',
                                  '#longest attempt', '#walltime used', 'nodes']);
    top.forEach(function (t) {
      var tr = add(tb, el('tr', { 'data-task': t.name }));
      cell(tr, t.name, 'mono');
      cell(tr, t.state);
      cell(tr, t.attempts, 'n');
      cell(tr, dur(t.run), 'n', { 'data-seconds': t.run.toFixed(1) });
      cell(tr, dur(t.longest), 'n');
      cell(tr, t.longestUse !== null ? pct(t.longestUse) : '-', 'n');
      var nodes = [];
      t.att.forEach(function (a) { if (a.node && nodes.indexOf(a.node) < 0) nodes.push(a.node); });
      cell(tr, nodes.join(', '), 'mono');
    });
  })();

  /* ------------------------------------------------------------ retried */
  (function () {
    var s = section('retries', 'Most-retried tasks and resumes');
    var retried = tasks.filter(function (t) { return t.attempts > 1; });
    var gaps = [];
    tasks.forEach(function (t) { t.att.forEach(function (a) { if (a.gap !== undefined) gaps.push(a.gap); }); });
    gaps.sort(function (a, b) { return a - b; });
    if (!retried.length) { note(s, 'No task needed more than one attempt.'); return; }
    note(s, retried.length + ' task' + (retried.length === 1 ? '' : 's') + ' retried; ' +
      gaps.length + ' resume' + (gaps.length === 1 ? '' : 's') +
      (gaps.length ? ', waiting ' + dur(gaps[Math.floor(gaps.length / 2)]) + ' (median), ' +
        dur(gaps[gaps.length - 1]) + ' (longest) between an attempt\u2019s end and the next one\u2019s start' : '') + '.');
    var top = retried.sort(function (a, b) {
      return b.attempts - a.attempts || b.gaps - a.gaps || a.idx - b.idx;
    }).slice(0, TOP);
    var tb = table(s, 'retried', ['task', 'state', '#attempts', 'attempts ended', '#resume wait',
                                  '#checkpoints', '#last step']);
    top.forEach(function (t) {
      var tr = add(tb, el('tr', { 'data-task': t.name }));
      cell(tr, t.name, 'mono');
      cell(tr, t.state);
      cell(tr, t.attempts, 'n');
      cell(tr, t.att.map(function (a) { return a.state; }).join(' \u2192 '));
      cell(tr, t.ngaps ? dur(t.gaps) : '-', 'n');
      cell(tr, t.ck.length, 'n');
      var last = null;
      t.ck.forEach(function (c) { if (c.step !== null) last = c.step; });
      cell(tr, last !== null ? last : '-', 'n');
    });
  })();

  /* ------------------------------------------------------------ hooks */
  (function () {
    var s = section('hooks', 'Hooks per node');
    if (!D.hooks.length) {
      note(s, 'No hook logs in the run directory (the suite has no env_preparation, ' +
        'env_cleanup or on_complete, or they have not run yet).');
      return;
    }
    note(s, 'From the hooks\u2019 logs: a run starts at the time in its log\u2019s first line and ' +
      'ends at the log\u2019s last change. Whether a hook succeeded is not in its log: a failed ' +
      'env_preparation fails the tasks of its job on that node (see the timeline).');
    var by = {}, keys = [];
    D.hooks.forEach(function (h) {
      var k = (h[0] || '(suite)') + '\u0000' + h[1];
      if (!by[k]) { by[k] = { node: h[0] || '(suite)', hook: h[1], runs: 0, total: 0, longest: 0, jobs: [] }; keys.push(k); }
      var g = by[k], d = h[3] !== null && h[4] !== null ? Math.max(0, h[4] - h[3]) : null;
      g.runs++;
      if (d !== null) { g.total += d; if (d > g.longest) g.longest = d; }
      if (h[2] && g.jobs.indexOf(h[2]) < 0) g.jobs.push(h[2]);
    });
    keys.sort();
    var tb = table(s, 'hooks-per-node', ['node', 'hook', '#runs', '#time (sum)', '#longest', 'jobs']);
    keys.forEach(function (k) {
      var g = by[k], tr = add(tb, el('tr'));
      cell(tr, g.node, 'mono');
      cell(tr, g.hook);
      cell(tr, g.runs, 'n');
      cell(tr, dur(g.total), 'n');
      cell(tr, dur(g.longest), 'n');
      cell(tr, g.jobs.length > 6 ? g.jobs.slice(0, 6).join(', ') + ' \u2026 (' + g.jobs.length + ')' : g.jobs.join(', '), 'mono');
    });
    var det = add(s, el('details'));
    add(det, el('summary', {}, 'Every run (' + D.hooks.length + (D.hooks_left_out ? ', ' + D.hooks_left_out + ' more not listed' : '') + ')'));
    var rb = table(det, 'hook-runs', ['node', 'hook', 'job', 'started', '#time', '#timeout', '#log bytes', 'log']);
    D.hooks.slice(0, 1000).forEach(function (h) {
      var tr = add(rb, el('tr'));
      cell(tr, h[0] || '-', 'mono');
      cell(tr, h[1]);
      cell(tr, h[2] || '-', 'mono');
      cell(tr, clock(h[3]));
      cell(tr, h[3] !== null ? dur(Math.max(0, h[4] - h[3])) : '-', 'n');
      cell(tr, h[5] !== null ? dur(h[5]) : '-', 'n');
      cell(tr, h[6], 'n');
      cell(tr, h[7], 'mono');
    });
  })();

  /* where the timeline is drawn, for tests that look at a screenshot */
  var tl = document.getElementById('timeline-svg');
  if (tl) {
    var b = tl.getBoundingClientRect();
    tl.setAttribute('data-box', [Math.round(b.left + window.scrollX), Math.round(b.top + window.scrollY),
                                 Math.round(b.width), Math.round(b.height)].join(','));
  }
  document.body.setAttribute('data-rendered', 'yes');
})();
