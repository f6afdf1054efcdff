// app.js: the cjobs dashboard. Signs in with a token (the server answers
// with an HttpOnly session cookie and a CSRF token), then shows the jobs,
// one job's page, the hosts and the queue over time, routed by the URL's
// hash (#/jobs, #/jobs/ID, #/hosts, #/queue).
//
// Must never: put text that came from the server or the user into the page
// as HTML (job names, commands, environment and output are hostile input:
// every such string goes in with textContent or as a Text node, through
// h() below); load anything from another origin; send a state-changing
// request without the session's CSRF token.
'use strict';

(() => {
  const API = '/api/v1';
  const POLL_MS = 2000;
  const STATUSES = ['queued', 'launching', 'running', 'completed', 'failed', 'timeout', 'cancelled'];
  const ACTIVE = new Set(['queued', 'launching', 'running']);
  const CANCELLABLE = ACTIVE;
  const RETRYABLE = new Set(['failed', 'timeout']);

  const state = {
    session: null, // {name, scope, csrf} while signed in
    view: null,    // the current view's {stop()}
  };

  // Filters of the jobs table, kept while the user looks at a job and back.
  const jobsFilter = { statuses: new Set(), host: '', name: '', image: '', since: '', until: '' };

  // ---- DOM ---------------------------------------------------------------

  const $ = (sel, root = document) => root.querySelector(sel);

  // h('tag', {attr: value, test: 'x', on<event>: fn}, children...): an element.
  // Children that are strings become Text nodes, never markup.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'test') el.dataset.test = v;
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
  }

  function pad(n, w = 2) { return String(n).padStart(w, '0'); }

  // A timestamp of the API as local time, the exact value in its title.
  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function timeEl(iso) {
    if (!iso) return h('span', { class: 'muted' }, '—');
    return h('time', { datetime: iso, title: iso }, fmtTime(iso));
  }

  function fmtBytes(n) {
    if (n === null || n === undefined) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Number(n), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + ' ' + units[i];
  }

  function fmtSeconds(s) {
    if (s === null || s === undefined) return '—';
    s = Number(s);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60 ? (s % 60) + ' s' : ''}`.trim();
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }

  // A command as a shell would read it back: words quoted when needed.
  function shellWords(argv) {
    if (!Array.isArray(argv)) return argv === null || argv === undefined ? '—' : String(argv);
    return argv.map((w) => {
      w = String(w);
      return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'";
    }).join(' ');
  }

  function badge(status) {
    const known = STATUSES.includes(status) ? status : 'unknown';
    return h('span', { class: `badge badge-${known}`, test: 'job-status' }, String(status));
  }

  function plural(n, one, many) {
    if (n === null || n === undefined) return `— ${many}`;
    return `${n} ${Number(n) === 1 ? one : many}`;
  }

  // Brings tbody's rows to those of items, in order, rebuilding only the
  // rows whose data changed: a row that stays keeps its node, so the focus
  // and a text selection in it survive the refresh.
  function patchRows(tbody, items, key, build) {
    const old = new Map();
    for (const tr of tbody.children) if (tr.dataset.key !== undefined) old.set(tr.dataset.key, tr);
    const rows = items.map((item) => {
      const k = String(key(item));
      const sig = JSON.stringify(item);
      const had = old.get(k);
      if (had && had.dataset.sig === sig) return had;
      const tr = build(item);
      tr.dataset.key = k;
      tr.dataset.sig = sig;
      return tr;
    });
    const keep = new Set(rows);
    for (const tr of [...tbody.children]) if (!keep.has(tr)) tr.remove();
    rows.forEach((tr, i) => { if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null); });
  }

  function dash(v) { return v === null || v === undefined || v === '' ? '—' : String(v); }

  // ---- errors ------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  let bannerSource = null;

  function showBanner(message, code, source = null) {
    const b = $('#banner');
    $('[data-test=error-text]', b).textContent = message;
    $('[data-test=error-code]', b).textContent = code ? `Error ${code}` : 'Error';
    bannerSource = source;
    b.hidden = false;
  }

  function clearBanner(source) {
    if (source !== undefined && bannerSource !== source) return;
    $('#banner').hidden = true;
    bannerSource = null;
  }

  // Shows what went wrong; a session that ended sends the user to sign in.
  function report(err, source = null) {
    if (err && err.name === 'AbortError') return;
    if (err instanceof ApiError) {
      if (err.status === 401 && state.session) {
        state.session = null;
        showSignin();
      }
      showBanner(err.message, err.status, source);
    } else {
      showBanner(String(err && err.message ? err.message : err), null, source);
      console.error(err);
    }
  }

  // ---- the API -----------------------------------------------------------

  async function request(method, path, body, signal) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && state.session && state.session.csrf) {
      headers['X-CSRF-Token'] = state.session.csrf;
    }
    try {
      return await fetch(API + path, {
        method, headers, signal, credentials: 'same-origin', cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, `cannot reach the server (${e.message})`);
    }
  }

  async function failure(res) {
    let msg = `${res.status} ${res.statusText}`.trim();
    try {
      const data = JSON.parse(await res.text());
      if (data && typeof data.error === 'string') msg = data.error;
    } catch (_) { /* not JSON: keep the status line */ }
    return new ApiError(res.status, msg);
  }

  // JSON in, JSON out; throws ApiError with the server's message.
  async function api(method, path, body, signal) {
    const res = await request(method, path, body, signal);
    if (!res.ok) throw await failure(res);
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  async function apiText(path, signal) {
    const res = await request('GET', path, undefined, signal);
    if (!res.ok) throw await failure(res);
    return res.text();
  }

  // ---- polling -----------------------------------------------------------

  // Runs fn now and every ms milliseconds after it finishes, only while the
  // tab is visible (a hidden tab asks nothing; showing it again refreshes).
  function poller(fn, ms = POLL_MS) {
    let timer = null, running = false, stopped = false;
    async function tick() {
      timer = null;
      if (stopped || running) return;
      if (document.visibilityState === 'visible') {
        running = true;
        try { await fn(); } catch (e) { report(e); } finally { running = false; }
      }
      if (!stopped && document.visibilityState === 'visible') timer = setTimeout(tick, ms);
    }
    function onVisibility() {
      if (document.visibilityState === 'visible' && !timer && !running && !stopped) tick();
    }
    document.addEventListener('visibilitychange', onVisibility);
    tick();
    return {
      now() { if (stopped) return; clearTimeout(timer); timer = null; if (!running) tick(); else timer = setTimeout(tick, 50); },
      stop() { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisibility); },
    };
  }

  // ---- confirm dialog ----------------------------------------------------

  // Asks first. Resolves {ok, reason}. Uses the page's own <dialog>.
  function confirmDialog({ title, message, confirm, reason = false, danger = true }) {
    const dlg = $('#confirm');
    $('#confirm-title').textContent = title;
    $('#confirm-message').textContent = message;
    $('#confirm-reason-box').hidden = !reason;
    const input = $('#confirm-reason');
    input.value = '';
    const yes = $('#confirm-yes');
    yes.textContent = confirm;
    yes.className = danger ? 'danger' : 'primary';
    return new Promise((resolve) => {
      const no = $('#confirm-no');
      function done(ok) {
        no.removeEventListener('click', onNo);
        dlg.removeEventListener('close', onClose);
        resolve({ ok, reason: input.value.trim() });
      }
      function onNo() { dlg.close('cancel'); }
      function onClose() { done(dlg.returnValue === 'confirm'); }
      no.addEventListener('click', onNo);
      dlg.addEventListener('close', onClose);
      dlg.returnValue = '';
      yes.value = 'confirm';
      dlg.showModal();
      (reason ? input : no).focus();
    });
  }

  // ---- sign in and out ---------------------------------------------------

  function showSignin() {
    if (state.view) { state.view.stop(); state.view = null; }
    $('#app').hidden = true;
    $('#signin').hidden = false;
    document.title = 'Sign in · cjobs';
    $('#token').focus();
  }

  function showApp() {
    $('#signin').hidden = true;
    $('#app').hidden = false;
    const s = state.session;
    $('[data-test=whoami]').textContent = `${s.name} (${s.scope})`;
    route();
  }

  async function signIn(ev) {
    ev.preventDefault();
    const input = $('#token');
    const token = input.value.trim();
    if (!token) { showBanner('enter a token', null); input.focus(); return; }
    const btn = $('[data-test=signin-button]');
    btn.disabled = true;
    try {
      state.session = await api('POST', '/session', { token });
      input.value = '';
      clearBanner();
      showApp();
    } catch (e) {
      report(e);
      input.select();
    } finally {
      btn.disabled = false;
    }
  }

  async function signOut() {
    try { await api('DELETE', '/session'); clearBanner(); } catch (e) { if (e.status !== 401) report(e); }
    state.session = null;
    showSignin();
  }

  function isAdmin() { return !!state.session && state.session.scope === 'admin'; }

  // ---- routing -----------------------------------------------------------

  function route() {
    if (!state.session) return;
    if (state.view) { state.view.stop(); state.view = null; }
    const hash = location.hash || '#/jobs';
    const root = $('#view');
    root.replaceChildren();
    let m, section;
    if ((m = /^#\/jobs\/(\d+)$/.exec(hash))) { section = 'jobs'; state.view = jobView(root, Number(m[1])); }
    else if (hash === '#/jobs' || hash === '#/' || hash === '#') { section = 'jobs'; state.view = jobsView(root); }
    else if (hash === '#/hosts') { section = 'hosts'; state.view = hostsView(root); }
    else if (hash === '#/queue') { section = 'queue'; state.view = queueView(root); }
    else { location.replace('#/jobs'); return; }
    for (const a of document.querySelectorAll('.topbar nav a')) {
      if (a.dataset.test === `nav-${section}`) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  // ---- jobs table --------------------------------------------------------

  function jobsView(root) {
    document.title = 'Jobs · cjobs';
    const f = jobsFilter;
    const cursors = [null]; // the cursor of each page seen; the last is shown
    let seq = 0, stopped = false, debounce = null;

    const statusBoxes = STATUSES.map((s) => {
      const box = h('input', { type: 'checkbox', value: s, test: `filter-status-${s}`, id: `fs-${s}` });
      box.checked = f.statuses.has(s);
      box.addEventListener('change', () => {
        if (box.checked) f.statuses.add(s); else f.statuses.delete(s);
        restart();
      });
      return h('label', { class: 'check', for: `fs-${s}` }, box, badge(s));
    });
    function textFilter(key, label, extra = {}) {
      const input = h('input', { type: 'search', id: `f-${key}`, test: `filter-${key}`, autocomplete: 'off', ...extra });
      input.value = f[key];
      input.addEventListener('input', () => {
        f[key] = input.value.trim();
        clearTimeout(debounce);
        debounce = setTimeout(restart, 300);
      });
      return h('div', { class: 'field' }, h('label', { for: `f-${key}` }, label), input);
    }
    // Since and until are picked in local time and sent as UTC.
    function timeFilter(key, label) {
      const input = h('input', { type: 'datetime-local', id: `f-${key}`, test: `filter-${key}`, step: 1 });
      input.value = f[key];
      input.addEventListener('change', () => { f[key] = input.value; restart(); });
      return h('div', { class: 'field' }, h('label', { for: `f-${key}` }, label), input);
    }
    const hostList = h('datalist', { id: 'host-names' });
    const clear = h('button', { type: 'button', test: 'filter-clear', onclick: () => {
      f.statuses.clear(); f.host = f.name = f.image = f.since = f.until = '';
      for (const i of filters.querySelectorAll('input')) { if (i.type === 'checkbox') i.checked = false; else i.value = ''; }
      restart();
    } }, 'Clear filters');
    const filters = h('form', { class: 'filters', test: 'jobs-filters', role: 'search', onsubmit: (e) => { e.preventDefault(); restart(); } },
      h('fieldset', { class: 'statuses' }, h('legend', {}, 'Status'), statusBoxes),
      textFilter('name', 'Name'), textFilter('image', 'Image'),
      textFilter('host', 'Host', { list: 'host-names' }), hostList,
      timeFilter('since', 'Since'), timeFilter('until', 'Until'), clear);

    const tbody = h('tbody', { test: 'jobs-body' });
    const table = h('table', { class: 'jobs', test: 'jobs-table' },
      h('caption', { class: 'visually-hidden' }, 'Jobs, newest first'),
      h('thead', {}, h('tr', {}, ['ID', 'Name', 'Status', 'Image', 'Host', 'Created', 'Finished', 'Exit code']
        .map((t) => h('th', { scope: 'col' }, t)))),
      tbody);
    const prev = h('button', { type: 'button', test: 'page-prev', onclick: () => { cursors.pop(); reload(); } }, '← Newer');
    const next = h('button', { type: 'button', test: 'page-next' }, 'Older →');
    const pageLabel = h('span', { class: 'muted', test: 'page-number' });
    const updated = h('span', { class: 'muted updated', test: 'jobs-updated' });
    let nextCursor = null;
    next.addEventListener('click', () => { if (nextCursor) { cursors.push(nextCursor); reload(); } });

    append(root, [
      h('div', { class: 'title-row' }, h('h1', {}, 'Jobs'), updated),
      filters,
      h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'pager' }, prev, pageLabel, next),
    ]);

    function row(j) {
      const link = h('a', { href: `#/jobs/${encodeURIComponent(j.id)}`, test: 'job-link' }, String(j.id));
      return h('tr', { test: 'job-row', 'data-job-id': j.id },
        h('td', { class: 'num' }, link),
        h('td', { test: 'job-name', class: 'clip' }, dash(j.name)),
        h('td', {}, badge(j.status)),
        h('td', { test: 'job-image', class: 'clip' }, dash(j.image)),
        h('td', { test: 'job-host' }, dash(j.ran_on || j.host)),
        h('td', {}, timeEl(j.created_at)),
        h('td', {}, timeEl(j.finished_at)),
        h('td', { class: 'num', test: 'job-exit' }, dash(j.exit_code)));
    }

    async function load() {
      const q = new URLSearchParams();
      if (f.statuses.size) q.set('status', STATUSES.filter((s) => f.statuses.has(s)).join(','));
      if (f.host) q.set('host', f.host);
      if (f.name) q.set('name', f.name);
      if (f.image) q.set('image', f.image);
      for (const k of ['since', 'until']) {
        const t = f[k] ? new Date(f[k]) : null;
        // Whole seconds: the API reads 2026-11-24T22:00:00Z, not milliseconds.
        if (t && !Number.isNaN(t.getTime())) q.set(k, t.toISOString().replace(/\.\d+Z$/, 'Z'));
      }
      q.set('limit', '50');
      const cursor = cursors[cursors.length - 1];
      if (cursor) q.set('cursor', cursor);
      const my = ++seq;
      const data = await api('GET', `/jobs?${q}`).catch((e) => { if (my === seq) report(e, 'poll'); return null; });
      if (stopped || my !== seq || !data) return;
      clearBanner('poll');
      const jobs = Array.isArray(data.jobs) ? data.jobs : [];
      patchRows(tbody, jobs, (j) => j.id, row);
      if (!jobs.length) {
        tbody.append(h('tr', { test: 'jobs-empty' }, h('td', { colspan: 8, class: 'empty' },
          cursors.length > 1 ? 'No older jobs.' : 'No jobs match these filters.')));
      }
      nextCursor = data.next_cursor || null;
      next.disabled = !nextCursor;
      prev.disabled = cursors.length <= 1;
      pageLabel.textContent = `Page ${cursors.length}`;
      updated.textContent = `Updated ${fmtTime(new Date().toISOString()).slice(11)}`;
    }

    async function loadHosts() {
      try {
        const data = await api('GET', '/hosts');
        hostList.replaceChildren(...(data.hosts || []).map((x) => h('option', { value: x.name })));
      } catch (_) { /* the filter still works without suggestions */ }
    }

    const poll = poller(load);
    loadHosts();
    function reload() { seq++; poll.now(); }
    function restart() { cursors.length = 1; reload(); }
    return { stop() { stopped = true; clearTimeout(debounce); poll.stop(); } };
  }

  // ---- one job -----------------------------------------------------------

  function jobView(root, id) {
    document.title = `Job ${id} · cjobs`;
    let job = null, stopped = false;
    let shownStream = 'stdout';
    let chosenAttempt = null; // null: the latest
    const out = {
      attempt: null,     // the attempt whose output the panes hold
      final: false,      // panes hold the whole output of a finished attempt
      following: false,  // a follow stream is open
      fallback: false,   // streaming failed: re-fetch every poll instead
      ended: 0,          // when the last follow stream ended (ms)
      ctl: null,         // AbortController of the requests in flight
    };

    const title = h('h1', { test: 'job-title' }, `Job ${id}`);
    const statusBox = h('span', { class: 'status-box' });
    const notice = h('p', { class: 'notice', test: 'job-notice', role: 'status', hidden: true });
    const cancelBtn = h('button', { type: 'button', class: 'danger', test: 'job-cancel', hidden: true, onclick: doCancel }, 'Cancel…');
    const retryBtn = h('button', { type: 'button', class: 'primary', test: 'job-retry', hidden: true, onclick: doRetry }, 'Retry…');
    const defn = h('dl', { class: 'definition', test: 'job-definition' });
    const histBody = h('tbody', { test: 'job-history' });
    const tabs = ['stdout', 'stderr'].map((s) => h('button', {
      type: 'button', role: 'tab', id: `tab-${s}`, 'aria-controls': `pane-${s}`, test: `output-tab-${s}`,
      onclick: () => showStream(s), onkeydown: tabKeys,
    }, s));
    const panes = {};
    for (const s of ['stdout', 'stderr']) {
      panes[s] = h('pre', { id: `pane-${s}`, role: 'tabpanel', 'aria-labelledby': `tab-${s}`, tabindex: 0,
        class: 'output', test: `output-${s}` });
    }
    const attemptSel = h('select', { id: 'attempt', test: 'output-attempt' });
    attemptSel.addEventListener('change', () => {
      const n = Number(attemptSel.value);
      chosenAttempt = job && n === job.attempt ? null : n;
      syncOutput();
    });
    const attemptBox = h('span', { class: 'attempt', hidden: true }, h('label', { for: 'attempt' }, 'Attempt '), attemptSel);
    const outState = h('span', { class: 'muted', test: 'output-state', 'aria-live': 'polite' });
    const outSizes = h('span', { class: 'muted', test: 'output-sizes' });

    append(root, [
      h('p', { class: 'crumbs' }, h('a', { href: '#/jobs', test: 'back-to-jobs' }, '← All jobs')),
      h('div', { class: 'title-row' }, title, statusBox, h('span', { class: 'spacer' }), cancelBtn, retryBtn),
      notice,
      h('div', { class: 'job-grid' },
        h('section', { 'aria-labelledby': 'def-h' }, h('h2', { id: 'def-h' }, 'Definition'), defn),
        h('section', { 'aria-labelledby': 'out-h', class: 'output-section' },
          h('div', { class: 'title-row' }, h('h2', { id: 'out-h' }, 'Output'),
            h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Output stream' }, tabs),
            attemptBox, outState, h('span', { class: 'spacer' }), outSizes),
          panes.stdout, panes.stderr)),
      h('section', { 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'History'),
        h('div', { class: 'table-wrap' }, h('table', { class: 'history' },
          h('thead', {}, h('tr', {}, ['At', 'Attempt', 'From', 'To', 'By', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
          histBody))),
    ]);
    showStream('stdout');

    function showStream(s) {
      shownStream = s;
      for (const t of tabs) {
        const on = t.id === `tab-${s}`;
        t.setAttribute('aria-selected', on ? 'true' : 'false');
        t.tabIndex = on ? 0 : -1;
      }
      panes.stdout.hidden = s !== 'stdout';
      panes.stderr.hidden = s !== 'stderr';
      showSizes();
    }

    function tabKeys(ev) {
      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
      const s = shownStream === 'stdout' ? 'stderr' : 'stdout';
      showStream(s);
      $(`#tab-${s}`).focus();
    }

    function showSizes() {
      const info = job && chosenAttempt === null ? job[shownStream] : null;
      if (!info) { outSizes.textContent = ''; return; }
      outSizes.textContent = `${fmtBytes(info.kept_bytes)} kept of ${fmtBytes(info.total_bytes)}` +
        (info.truncated ? ' (truncated)' : '');
    }

    function dd(label, value, test) {
      return [h('dt', {}, label), h('dd', { test }, value)];
    }

    function renderDefinition(j) {
      const env = Array.isArray(j.env) && j.env.length
        ? h('ul', { class: 'env' }, j.env.map((e) => h('li', {}, h('code', {}, String(e)))))
        : '—';
      const retries = j.max_retries
        ? `${j.max_retries} (${dash(j.retry_strategy)}${j.retry_on_exit_code ? `, on exit ${j.retry_on_exit_code}` : ''})`
        : 'none';
      defn.replaceChildren(...[
        dd('Image', h('code', {}, dash(j.image)), 'def-image'),
        dd('Command', h('code', { class: 'command' }, shellWords(j.command)), 'def-command'),
        dd('Working directory', dash(j.workdir), 'def-workdir'),
        dd('Environment', env, 'def-env'),
        dd('Template', dash(j.template), 'def-template'),
        dd('Limits', `memory ${j.memory_bytes ? fmtBytes(j.memory_bytes) : '—'}, CPUs ${dash(j.cpus)}, ` +
          `time ${j.timeout_seconds ? fmtSeconds(j.timeout_seconds) : '—'}`, 'def-limits'),
        dd('Priority', dash(j.priority), 'def-priority'),
        dd('Retries', retries, 'def-retries'),
        dd('Host', j.host ? `${j.host} (asked)` + (j.ran_on && j.ran_on !== j.host ? `, ran on ${j.ran_on}` : '')
          : (j.ran_on ? `${j.ran_on}` : 'any'), 'def-host'),
        dd('Not before', timeEl(j.not_before), 'def-not-before'),
        dd('Attempt', dash(j.attempt), 'def-attempt'),
        dd('Exit code', dash(j.exit_code), 'def-exit'),
        dd('Created', timeEl(j.created_at), 'def-created'),
        dd('Started', timeEl(j.started_at), 'def-started'),
        dd('Finished', timeEl(j.finished_at), 'def-finished'),
        dd('Peak memory', fmtBytes(j.peak_memory_bytes), 'def-peak-memory'),
        dd('CPU time', j.cpu_seconds === null || j.cpu_seconds === undefined ? '—' : `${j.cpu_seconds} s`, 'def-cpu'),
        dd('Last error', dash(j.last_error), 'def-last-error'),
        dd('Container', j.container_name ? h('code', {}, j.container_name) : '—', 'def-container'),
        dd('UUID', h('code', {}, dash(j.uuid)), 'def-uuid'),
      ].flat());
    }

    function renderHistory(j) {
      const rows = (Array.isArray(j.history) ? j.history : []).map((e) => h('tr', { test: 'history-row' },
        h('td', {}, timeEl(e.at)), h('td', { class: 'num' }, dash(e.attempt)),
        h('td', {}, e.from ? badge(e.from) : '—'), h('td', {}, e.to ? badge(e.to) : '—'),
        h('td', { class: 'clip' }, dash(e.actor)), h('td', {}, dash(e.reason))));
      histBody.replaceChildren(...rows);
    }

    let shown = '';
    function render(j) {
      const sig = JSON.stringify(j);
      if (sig === shown) return; // nothing new: keep selections and focus
      shown = sig;
      title.textContent = j.name ? `Job ${j.id}: ${j.name}` : `Job ${j.id}`;
      document.title = `${title.textContent} · cjobs`;
      statusBox.replaceChildren(badge(j.status));
      cancelBtn.hidden = !(CANCELLABLE.has(j.status) && isAdmin());
      retryBtn.hidden = !(RETRYABLE.has(j.status) && isAdmin());
      renderDefinition(j);
      renderHistory(j);
      const n = Number(j.attempt) || 0;
      attemptBox.hidden = n <= 1;
      if (attemptSel.options.length !== n) {
        attemptSel.replaceChildren(...Array.from({ length: n }, (_, i) => h('option', { value: i + 1 }, `${i + 1} of ${n}`)));
      }
      attemptSel.value = String(chosenAttempt === null ? n : chosenAttempt);
      showSizes();
    }

    // ---- output: follow while the attempt runs, else fetch it once

    function logsPath(stream, attempt, follow) {
      const q = new URLSearchParams({ stream, attempt: String(attempt) });
      if (follow) q.set('follow', '1');
      return `/jobs/${id}/logs?${q}`;
    }

    function stickToEnd(pane) {
      return pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    }

    function setText(pane, text) {
      if (pane.textContent === text) return; // keep a selection in it
      const stick = stickToEnd(pane);
      pane.textContent = text;
      if (stick) pane.scrollTop = pane.scrollHeight;
    }

    function appendText(pane, text) {
      if (!text) return;
      const stick = stickToEnd(pane);
      pane.append(text);
      if (stick) pane.scrollTop = pane.scrollHeight;
    }

    function resetOutput(attempt) {
      if (out.ctl) out.ctl.abort();
      out.ctl = new AbortController();
      Object.assign(out, { attempt, final: false, following: false });
      panes.stdout.textContent = '';
      panes.stderr.textContent = '';
    }

    // One stream's whole output; a 404 (nothing stored for this attempt
    // yet, or at all) is an empty pane with the server's note, not an error.
    async function fetchStream(stream, attempt, ctl) {
      try {
        return { text: await apiText(logsPath(stream, attempt, false), ctl.signal), note: '' };
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return { text: '', note: e.message };
        throw e;
      }
    }

    async function fetchWhole(attempt, ctl) {
      const [o, e] = await Promise.all(['stdout', 'stderr'].map((s) => fetchStream(s, attempt, ctl)));
      if (ctl.signal.aborted) return false;
      setText(panes.stdout, o.text);
      setText(panes.stderr, e.text);
      outState.textContent = o.note && e.note ? o.note : '';
      return true;
    }

    // Streams one stream into its pane; resolves when the server ends it.
    async function follow(stream, attempt, ctl) {
      const res = await request('GET', logsPath(stream, attempt, true), undefined, ctl.signal);
      if (!res.ok) throw await failure(res);
      if (!res.body || !res.body.getReader) throw new Error('no streaming in this browser');
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      panes[stream].textContent = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        appendText(panes[stream], dec.decode(value, { stream: true }));
      }
      appendText(panes[stream], dec.decode());
    }

    function startFollowing(attempt) {
      const ctl = out.ctl;
      let ended = true; // the server ended the streams: the job may have ended
      out.following = true;
      outState.textContent = 'following…';
      Promise.all(['stdout', 'stderr'].map((s) => follow(s, attempt, ctl)))
        .catch((e) => {
          if (ctl.signal.aborted) return;
          ended = false;
          // Nothing to follow yet (404): try again at the next poll. Any
          // other failure: fetch the whole output at each poll instead.
          if (e instanceof ApiError && e.status === 404) { outState.textContent = e.message; return; }
          out.fallback = true;
          console.warn('following the output failed, polling instead:', e);
        })
        .finally(() => {
          if (ctl !== out.ctl) return;
          out.following = false;
          out.ended = Date.now();
          if (ended) outState.textContent = '';
          if (ended && !stopped) jobPoll.now(); // the job has probably ended: see
        });
    }

    async function syncOutput() {
      if (!job) return;
      const latest = Number(job.attempt) || 0;
      const attempt = chosenAttempt === null ? latest : chosenAttempt;
      if (attempt === 0) {
        outState.textContent = 'no output yet: the job has not started';
        return;
      }
      if (out.attempt !== attempt) resetOutput(attempt);
      const live = attempt === latest && ACTIVE.has(job.status);
      if (live) {
        if (out.following) return;
        // A stream the server ended while the job still runs is opened
        // again at the next regular poll, not at once.
        if (!out.fallback) { if (Date.now() - out.ended >= POLL_MS / 2) startFollowing(attempt); return; }
        const ctl = out.ctl;
        try {
          if (await fetchWhole(attempt, ctl) && !outState.textContent) outState.textContent = 'refreshing every 2 s…';
        } catch (e) {
          if (!ctl.signal.aborted) report(e);
        }
        return;
      }
      if (out.final || out.following) return;
      const ctl = out.ctl;
      try {
        if (await fetchWhole(attempt, ctl)) out.final = true;
      } catch (e) {
        if (!ctl.signal.aborted) report(e);
      }
    }

    async function load() {
      let j;
      try {
        j = await api('GET', `/jobs/${id}`);
      } catch (e) {
        if (!stopped) report(e, 'poll');
        return;
      }
      if (stopped) return;
      clearBanner('poll');
      const before = job;
      job = j;
      // A retried job starts a new attempt: show the latest again.
      if (before && before.attempt !== j.attempt) chosenAttempt = null;
      render(j);
      await syncOutput();
    }

    async function doCancel() {
      const r = await confirmDialog({
        title: `Cancel job ${id}?`,
        message: `Job ${id}${job && job.name ? ` (${job.name})` : ''} is ${job ? job.status : 'active'}; ` +
          'a running container is stopped, and the job ends as cancelled.',
        confirm: 'Cancel the job', reason: true,
      });
      if (!r.ok) return;
      cancelBtn.disabled = true;
      showNotice(`Cancelling job ${id}… (a running container is given time to stop)`);
      try {
        const body = r.reason ? { reason: r.reason } : {};
        const res = await api('POST', `/jobs/${id}/cancel`, body);
        showNotice(`Job ${id}: ${res && res.outcome ? res.outcome : 'cancelled'}` +
          (res && res.was ? ` (was ${res.was})` : '') + '.');
        clearBanner();
      } catch (e) {
        notice.hidden = true;
        report(e);
      } finally {
        cancelBtn.disabled = false;
        jobPoll.now();
      }
    }

    async function doRetry() {
      const r = await confirmDialog({
        title: `Retry job ${id}?`,
        message: `Job ${id}${job && job.name ? ` (${job.name})` : ''} ${job ? job.status : 'ended'}; ` +
          'it is queued again for a new attempt.',
        confirm: 'Retry the job', danger: false,
      });
      if (!r.ok) return;
      retryBtn.disabled = true;
      try {
        const res = await api('POST', `/jobs/${id}/retry`, {});
        clearBanner();
        if (res && res.id !== undefined && Number(res.id) !== id) {
          location.hash = `#/jobs/${Number(res.id)}`;
          return;
        }
        showNotice(`Job ${id} queued again.`);
      } catch (e) {
        report(e);
      } finally {
        retryBtn.disabled = false;
        jobPoll.now();
      }
    }

    function showNotice(text) {
      notice.textContent = text;
      notice.hidden = false;
    }

    const jobPoll = poller(load);
    return {
      stop() {
        stopped = true;
        jobPoll.stop();
        if (out.ctl) out.ctl.abort();
      },
    };
  }

  // ---- hosts -------------------------------------------------------------

  function hostsView(root) {
    document.title = 'Hosts · cjobs';
    const health = new Map(); // name -> last "Check now" result, or 'checking'
    let hosts = [], stopped = false;
    const tbody = h('tbody', { test: 'hosts-body' });
    append(root, [
      h('div', { class: 'title-row' }, h('h1', {}, 'Hosts')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'hosts', test: 'hosts-table' },
        h('thead', {}, h('tr', {}, ['Name', 'URL', 'Enabled', 'Max jobs', 'Last check', 'Result', 'Check now']
          .map((t) => h('th', { scope: 'col' }, t)))),
        tbody)),
    ]);

    function healthText(r) {
      if (r === 'checking') return h('span', { class: 'muted' }, 'checking…');
      if (r.failed !== undefined) return h('span', { class: 'bad' }, r.failed);
      // The server says "healthy" (and a status word); "ok" is accepted too.
      const ok = r.healthy !== undefined ? r.healthy : r.ok;
      if (!ok) return h('span', { class: 'bad' }, `${dash(r.status || 'unhealthy')}: ${dash(r.error)}`);
      const parts = [`engine ${dash(r.engine_version)} (API ${dash(r.api_version)})`, dash(r.os),
        `${plural(r.containers_running, 'container', 'containers')} running`,
        `${plural(r.jobs_active, 'job', 'jobs')} active`,
        `${dash(r.response_ms)} ms`];
      return h('span', {}, h('span', { class: 'good' }, 'ok'), ' · ', parts.join(' · '));
    }

    function render() {
      const items = hosts.map((x) => ({ x, r: health.get(x.name) ?? null }));
      for (const tr of [...tbody.children]) if (tr.dataset.key === undefined) tr.remove();
      patchRows(tbody, items, (it) => it.x.name, ({ x, r }) => {
        // The engine check needs the admin scope.
        const btn = isAdmin() ? h('button', { type: 'button', test: 'host-check', disabled: r === 'checking',
          'aria-label': `Check ${x.name} now`, onclick: () => check(x.name) }, 'Check now')
          : h('span', { class: 'muted small' }, 'admin only');
        const last = x.checked_at
          ? [timeEl(x.checked_at), ' ', x.check_ok ? h('span', { class: 'good' }, 'ok') : h('span', { class: 'bad' }, 'failed'),
            x.check_message ? h('div', { class: 'muted small' }, String(x.check_message)) : null]
          : h('span', { class: 'muted' }, 'never');
        return h('tr', { test: 'host-row', 'data-host': x.name },
          h('td', { test: 'host-name' }, dash(x.name)),
          h('td', { class: 'clip' }, h('code', {}, dash(x.url))),
          h('td', { test: 'host-enabled' }, x.enabled ? 'yes' : h('span', { class: 'bad' }, 'no')),
          h('td', { class: 'num' }, dash(x.max_jobs)),
          h('td', { test: 'host-last-check' }, last),
          h('td', { test: 'host-health', 'aria-live': 'polite' }, r === null ? '' : healthText(r)),
          h('td', {}, btn));
      });
      if (!hosts.length) tbody.append(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No hosts.')));
    }

    async function load() {
      let data;
      try { data = await api('GET', '/hosts'); } catch (e) { if (!stopped) report(e, 'poll'); return; }
      if (stopped) return;
      clearBanner('poll');
      hosts = Array.isArray(data.hosts) ? data.hosts : [];
      render();
    }

    async function check(name) {
      health.set(name, 'checking');
      render();
      try {
        health.set(name, await api('GET', `/hosts/${encodeURIComponent(name)}/health`));
      } catch (e) {
        health.set(name, { failed: e.message });
        if (e.status === 401) report(e);
      }
      if (stopped) return;
      render();
      poll.now();
    }

    const poll = poller(load, 10000);
    return { stop() { stopped = true; poll.stop(); } };
  }

  // ---- the queue over time -----------------------------------------------

  let queueRange = 'hour';

  function queueView(root) {
    document.title = 'Queue · cjobs';
    let stopped = false, seq = 0;
    const ranges = ['hour', 'day'].map((r) => h('button', { type: 'button', test: `range-${r}`,
      onclick: () => { queueRange = r; pressed(); poll.now(); } }, r === 'hour' ? 'Last hour' : 'Last day'));
    function pressed() { for (const b of ranges) b.setAttribute('aria-pressed', String(b.dataset.test === `range-${queueRange}`)); }
    pressed();
    const counts = h('div', { class: 'counts', test: 'queue-counts' });
    const plot = h('div', { class: 'plot', test: 'queue-plot' });
    const explain = h('p', { class: 'muted', test: 'queue-explain' });
    const table = h('details', { class: 'plot-table' }, h('summary', {}, 'The same figures as a table'));
    append(root, [
      h('div', { class: 'title-row' }, h('h1', {}, 'Queue'), h('span', { class: 'spacer' }),
        h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' }, ranges)),
      counts,
      explain, plot, table,
    ]);

    function renderCounts(st) {
      const c = (st && st.counts) || {};
      const q = (st && st.queue) || {};
      // The queued jobs split three ways (ready, scheduled, waiting), then
      // every status: a queue that does not move says why.
      const items = [['ready', q.ready, 'queued, free to start now'],
        ['scheduled', q.scheduled, 'queued, with a start time still to come (--at)'],
        ['waiting', q.waiting, 'queued, waiting for other jobs to finish (--after)'],
        ...STATUSES.map((s) => [s, c[s]])];
      counts.replaceChildren(...items.map(([k, v, what]) => h('div', { class: 'count', test: `count-${k}`, title: what || null },
        h('span', { class: 'count-n' }, dash(v)), h('span', { class: 'count-k' }, k))));
    }

    function renderTable(points) {
      const body = h('tbody', {}, points.map((p) => h('tr', {}, h('td', {}, timeEl(p.at)),
        h('td', { class: 'num' }, dash(p.queued)), h('td', { class: 'num' }, dash(p.running)), h('td', { class: 'num' }, dash(p.finished)))));
      table.replaceChildren(table.firstChild, h('div', { class: 'table-wrap tall' }, h('table', {},
        h('thead', {}, h('tr', {}, ['At', 'Queued', 'Running', 'Finished'].map((t) => h('th', { scope: 'col' }, t)))), body)));
    }

    async function load() {
      const my = ++seq;
      const range = queueRange;
      // The counts do not wait for the timeline, nor fail with it.
      const counted = api('GET', '/status').then((st) => { if (!stopped && my === seq) renderCounts(st); }, () => {});
      let tl;
      try {
        tl = await api('GET', `/timeline?range=${range}`);
      } catch (e) { if (!stopped) report(e, 'poll'); await counted; return; }
      await counted;
      if (stopped || my !== seq) return;
      clearBanner('poll');
      const step = Number(tl.step_seconds) || 60;
      const per = step === 60 ? 'minute' : step % 60 === 0 ? `${step / 60} minutes` : `${step} seconds`;
      explain.textContent = `Jobs queued and jobs running at each point, and jobs finished in the ${per} before it ` +
        '(one point per ' + per + '). Move the mouse over the plot, or focus it and use the arrow keys, to read the figures.';
      const points = Array.isArray(tl.points) ? tl.points : [];
      window.CjobsPlot.draw(plot, {
        points,
        step,
        title: `Queue over the last ${range}`,
        series: [
          { key: 'queued', label: 'Queued', cls: 's-queued' },
          { key: 'running', label: 'Running', cls: 's-running' },
          { key: 'finished', label: 'Finished', cls: 's-finished' },
        ],
      });
      renderTable(points);
    }

    const poll = poller(load, 10000);
    return { stop() { stopped = true; poll.stop(); } };
  }

  // ---- start -------------------------------------------------------------

  async function boot() {
    $('#signin-form').addEventListener('submit', signIn);
    $('#signout').addEventListener('click', signOut);
    $('[data-test=error-dismiss]').addEventListener('click', () => clearBanner());
    window.addEventListener('hashchange', route);
    try {
      state.session = await api('GET', '/session');
    } catch (e) {
      state.session = null;
      if (e.status !== 401) report(e);
    }
    if (state.session) showApp(); else showSignin();
  }

  boot();
})();
