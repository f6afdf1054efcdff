// plot.js: the queue-over-time plot of the dashboard, drawn as inline SVG
// by hand (no chart library: the dashboard loads nothing it does not
// carry). CjobsPlot.draw(container, {points, series, step, title}) draws
// one line per series over time with axes, a legend, and a cursor that
// follows the mouse or the arrow keys and says the values at that minute.
//
// Must never: insert data as markup (labels are Text nodes); assume the
// points are evenly spaced or non-empty.
'use strict';

(() => {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 1180, H = 340;
  const M = { left: 56, right: 20, top: 16, bottom: 40 };

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'test') el.setAttribute('data-test', v);
      else el.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  function pad(n) { return String(n).padStart(2, '0'); }
  function hhmm(t) { const d = new Date(t); return `${pad(d.getHours())}:${pad(d.getMinutes())}`; }

  // Round steps for the count axis: 1, 2, 5 times a power of ten.
  function niceStep(max, ticks) {
    const raw = Math.max(max, 1) / ticks;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, m * p);
    return Math.max(1, 10 * p);
  }

  // Time ticks on whole minutes of the local clock, at most about 8.
  function timeTicks(t0, t1) {
    const minutes = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440];
    const span = (t1 - t0) / 60000;
    const stepMin = minutes.find((m) => span / m <= 8) || 1440;
    const step = stepMin * 60000;
    const offset = new Date(t0).getTimezoneOffset() * 60000;
    let t = Math.ceil((t0 - offset) / step) * step + offset;
    const out = [];
    for (; t <= t1; t += step) out.push(t);
    return out;
  }

  function draw(container, opt) {
    const pts = (opt.points || [])
      .map((p) => ({ p, t: Date.parse(p.at) }))
      .filter((x) => !Number.isNaN(x.t))
      .sort((a, b) => a.t - b.t);
    const series = opt.series;
    const title = s('title', { id: 'plot-title' }, opt.title || 'Plot');
    const desc = s('desc', { id: 'plot-desc' });
    const svg = s('svg', {
      viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', tabindex: 0, class: 'chart',
      'aria-labelledby': 'plot-title plot-desc', test: 'queue-svg', preserveAspectRatio: 'xMidYMid meet',
    }, title, desc);

    const legend = document.createElement('ul');
    legend.className = 'legend';
    legend.dataset.test = 'queue-legend';
    for (const se of series) {
      const li = document.createElement('li');
      const sw = s('svg', { width: 28, height: 12, 'aria-hidden': 'true' },
        s('line', { x1: 1, y1: 6, x2: 27, y2: 6, class: `line ${se.cls}` }));
      li.append(sw, se.label);
      legend.append(li);
    }

    if (!pts.length) {
      desc.textContent = 'No data.';
      svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty-label', test: 'plot-empty' }, 'No data for this range.'));
      container.replaceChildren(legend, svg);
      return;
    }

    const t0 = pts[0].t;
    const t1 = Math.max(pts[pts.length - 1].t, t0 + (opt.step || 60) * 1000);
    let max = 0;
    for (const { p } of pts) for (const se of series) max = Math.max(max, Number(p[se.key]) || 0);
    const ystep = niceStep(max, 5);
    const ymax = Math.max(ystep, Math.ceil(max / ystep) * ystep);
    const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
    const x = (t) => M.left + ((t - t0) / (t1 - t0)) * pw;
    const y = (v) => M.top + ph - (v / ymax) * ph;

    const totals = series.map((se) => `${se.label}: peak ${Math.max(...pts.map(({ p }) => Number(p[se.key]) || 0))}`);
    desc.textContent = `From ${hhmm(t0)} to ${hhmm(t1)}. ${totals.join('; ')}.`;

    // Grid and the count axis.
    const grid = s('g', { class: 'grid' });
    const axes = s('g', { class: 'axis' });
    for (let v = 0; v <= ymax; v += ystep) {
      grid.append(s('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
      axes.append(s('text', { x: M.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
    }
    // The time axis.
    for (const t of timeTicks(t0, t1)) {
      grid.append(s('line', { x1: x(t), x2: x(t), y1: M.top, y2: M.top + ph, class: 'vgrid' }));
      axes.append(s('text', { x: x(t), y: H - M.bottom + 18, 'text-anchor': 'middle' }, hhmm(t)));
    }
    axes.append(s('line', { x1: M.left, x2: W - M.right, y1: M.top + ph, y2: M.top + ph, class: 'axis-line' }));
    axes.append(s('line', { x1: M.left, x2: M.left, y1: M.top, y2: M.top + ph, class: 'axis-line' }));
    axes.append(s('text', { x: 14, y: M.top + ph / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${M.top + ph / 2})`, class: 'axis-title' }, 'jobs'));
    axes.append(s('text', { x: M.left + pw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-title' }, 'local time'));
    svg.append(grid, axes);

    // The lines.
    for (const se of series) {
      const d = pts.map(({ p, t }, i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(Number(p[se.key]) || 0).toFixed(1)}`).join('');
      svg.append(s('path', { d, class: `line ${se.cls}`, test: `plot-line-${se.key}` }));
    }

    // The cursor: a guide line, a dot per series and a label box.
    const cursor = s('g', { class: 'cursor', visibility: 'hidden', test: 'plot-cursor' });
    const guide = s('line', { y1: M.top, y2: M.top + ph, class: 'guide' });
    const dots = series.map((se) => s('circle', { r: 4, class: `dot ${se.cls}` }));
    const box = s('rect', { class: 'tip', rx: 4, width: 150, height: 26 + 18 * series.length });
    const lines = [s('text', { class: 'tip-head' })].concat(series.map(() => s('text', {})));
    const tip = s('g', { test: 'plot-tooltip' }, box, ...lines);
    cursor.append(guide, ...dots, tip);
    svg.append(cursor);
    const live = document.createElement('p');
    live.className = 'visually-hidden';
    live.setAttribute('aria-live', 'polite');

    let at = -1;
    function show(i) {
      at = Math.max(0, Math.min(pts.length - 1, i));
      const { p, t } = pts[at];
      const cx = x(t);
      guide.setAttribute('x1', cx); guide.setAttribute('x2', cx);
      series.forEach((se, k) => { dots[k].setAttribute('cx', cx); dots[k].setAttribute('cy', y(Number(p[se.key]) || 0)); });
      const bx = cx + 12 + 150 > W - M.right ? cx - 12 - 150 : cx + 12;
      const by = M.top + 4;
      box.setAttribute('x', bx); box.setAttribute('y', by);
      const d = new Date(t);
      lines[0].textContent = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hhmm(t)}`;
      lines.forEach((ln, k) => { ln.setAttribute('x', bx + 10); ln.setAttribute('y', by + 16 + 18 * k); });
      series.forEach((se, k) => { lines[k + 1].textContent = `${se.label}: ${Number(p[se.key]) || 0}`; });
      cursor.setAttribute('visibility', 'visible');
      live.textContent = `${lines[0].textContent}: ` + series.map((se) => `${se.label.toLowerCase()} ${Number(p[se.key]) || 0}`).join(', ');
    }
    function nearest(clientX) {
      const r = svg.getBoundingClientRect();
      const vx = ((clientX - r.left) / r.width) * W;
      const t = t0 + ((vx - M.left) / pw) * (t1 - t0);
      let best = 0;
      for (let i = 1; i < pts.length; i++) if (Math.abs(pts[i].t - t) < Math.abs(pts[best].t - t)) best = i;
      return best;
    }
    const hit = s('rect', { x: M.left, y: M.top, width: pw, height: ph, class: 'hit' });
    hit.addEventListener('mousemove', (e) => show(nearest(e.clientX)));
    hit.addEventListener('mouseleave', () => { if (document.activeElement !== svg) cursor.setAttribute('visibility', 'hidden'); });
    svg.append(hit);
    svg.addEventListener('keydown', (e) => {
      const moves = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
      if (!(e.key in moves)) return;
      e.preventDefault();
      const m = moves[e.key];
      show(m === -Infinity ? 0 : m === Infinity ? pts.length - 1 : (at < 0 ? pts.length - 1 : at + m));
    });
    svg.addEventListener('focus', () => show(at < 0 ? pts.length - 1 : at));
    svg.addEventListener('blur', () => cursor.setAttribute('visibility', 'hidden'));

    container.replaceChildren(legend, svg, live);
  }

  window.CjobsPlot = { draw };
})();
