#!/usr/bin/env python3
"""tests/web/dashboard.py: the dashboard in a real browser.

Drives headless Chromium through chromedriver's W3C WebDriver HTTP API
(python3's standard library only) against a running `cjobs serve`: signs
in, watches a job submitted through the API reach 'completed' without a
reload, reads its output, cancels a running job through the page's own
confirm dialog, and looks at the queue plot and the hosts. Prints TAP and
saves a screenshot after each step.

Environment:
  CJOBS_URL     the server, e.g. http://127.0.0.1:8080 (required)
  CJOBS_TOKEN   an admin token (required)
  CJOBS_READ_TOKEN  a read-only token (optional: the last step is skipped without it)
  CJOBS_SHOTS   directory for the screenshots (default: a new temporary one)
  CJOBS_IMAGE   image of the jobs it submits (default busybox)
  CHROMEDRIVER  default /usr/bin/chromedriver
  CHROMIUM      default /usr/bin/chromium
  CJOBS_WAIT    seconds each wait may last (default 60)

Must never: assert after a fixed sleep (every check polls the page until a
deadline); leave chromedriver or Chromium running (stopped by pid, whatever
happens); talk to anything but CJOBS_URL and its own chromedriver.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

URL = os.environ.get('CJOBS_URL', '').rstrip('/')
TOKEN = os.environ.get('CJOBS_TOKEN', '')
SHOTS = os.environ.get('CJOBS_SHOTS') or tempfile.mkdtemp(prefix='cjobs-shots-')
IMAGE = os.environ.get('CJOBS_IMAGE', 'busybox')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
WAIT = float(os.environ.get('CJOBS_WAIT', '60'))

ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'


class WebDriverError(Exception):
    pass


class Timeout(Exception):
    pass


class Skip(Exception):
    pass


# ---- the HTTP API of cjobs, with the token ---------------------------------

def api(method, path, body=None):
    """Calls the cjobs API as the test's own client (Bearer token)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + '/api/v1' + path, data=data, method=method)
    req.add_header('Authorization', 'Bearer ' + TOKEN)
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
            return res.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors='replace')
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {'error': text}


def session_error(token):
    """The server's error text for signing in with a wrong token."""
    req = urllib.request.Request(URL + '/api/v1/session', method='POST',
                                 data=json.dumps({'token': token}).encode(),
                                 headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            raise AssertionError(f'a wrong token was accepted ({res.status})')
    except urllib.error.HTTPError as e:
        assert e.code == 401, f'a wrong token got {e.code}, not 401'
        return json.loads(e.read().decode())['error']


# ---- WebDriver ---------------------------------------------------------------

class Browser:
    def __init__(self, base):
        self.base = base
        self.sid = None

    def call(self, method, path, body=None, timeout=90):
        url = self.base + (f'/session/{self.sid}' if self.sid else '') + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return json.loads(res.read().decode() or '{}').get('value')
        except urllib.error.HTTPError as e:
            try:
                v = json.loads(e.read().decode()).get('value', {})
                msg = f"{v.get('error')}: {v.get('message', '').splitlines()[0] if v.get('message') else ''}"
            except ValueError:
                msg = str(e)
            raise WebDriverError(msg) from None

    def start(self, profile):
        caps = {'capabilities': {'alwaysMatch': {
            'browserName': 'chrome',
            'goog:chromeOptions': {
                'binary': CHROMIUM,
                'args': ['--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1280,800',
                         f'--user-data-dir={profile}', '--disable-dev-shm-usage', '--no-first-run',
                         '--no-default-browser-check', '--disable-background-networking'],
            },
        }}}
        value = self.call('POST', '/session', caps)
        self.sid = value['sessionId']

    def quit(self):
        if self.sid:
            try:
                self.call('DELETE', '', timeout=30)
            finally:
                self.sid = None

    def go(self, url):
        self.call('POST', '/url', {'url': url})

    def js(self, script, *args):
        """Runs script (a function body; a returned promise is awaited)."""
        return self.call('POST', '/execute/sync', {'script': script, 'args': list(args)})

    def find(self, css):
        return self.call('POST', '/element', {'using': 'css selector', 'value': css})[ELEMENT]

    def click(self, css):
        self.call('POST', f'/element/{self.find(css)}/click', {})

    def type(self, css, text):
        el = self.find(css)
        self.call('POST', f'/element/{el}/clear', {})
        self.call('POST', f'/element/{el}/value', {'text': text})

    def shot(self, path):
        png = base64.b64decode(self.call('GET', '/screenshot'))
        with open(path, 'wb') as f:
            f.write(png)

    # Conditions read from the page.
    def text(self, css):
        return self.js('const e = document.querySelector(arguments[0]); return e ? e.textContent : null;', css)

    def visible(self, css):
        return self.js('''const e = document.querySelector(arguments[0]);
            if (!e) return false;
            const r = e.getBoundingClientRect(), s = getComputedStyle(e);
            return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('[hidden]');''', css)


def wait_for(what, cond, timeout=None):
    """Polls cond() until it returns something true, or fails at the deadline."""
    deadline = time.monotonic() + (timeout or WAIT)
    last = None
    while True:
        try:
            v = cond()
            if v:
                return v
            last = v
        except WebDriverError as e:  # e.g. the element was replaced between calls
            last = e
        if time.monotonic() > deadline:
            raise Timeout(f'timed out after {timeout or WAIT:.0f} s waiting for {what} (last: {last!r})')
        time.sleep(0.2)


# ---- chromedriver ------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start_driver(logdir):
    port = free_port()
    log = open(os.path.join(logdir, 'chromedriver.log'), 'wb')
    proc = subprocess.Popen([CHROMEDRIVER, f'--port={port}'],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f'http://127.0.0.1:{port}'

    def ready():
        if proc.poll() is not None:
            raise RuntimeError(f'chromedriver exited with {proc.returncode}')
        try:
            with urllib.request.urlopen(base + '/status', timeout=2) as r:
                return json.loads(r.read().decode())['value'].get('ready')
        except (OSError, ValueError):
            return False
    wait_for('chromedriver to answer', ready, 30)
    return proc, base


def stop_driver(proc):
    """Stops chromedriver and what it started (its own process group) by pid."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ---- the steps ---------------------------------------------------------------

class Ctx:
    quick_id = None
    long_id = None
    retry_id = None


def job_row(i):
    return f'[data-test=job-row][data-job-id="{i}"]'


def submit(name, command):
    code, body = api('POST', '/jobs', {'image': IMAGE, 'name': name, 'command': command})
    assert code == 201, f'submitting {name}: {code} {body}'
    return body['ids'][0]


def step_signin_form(b, c):
    """the page loads and shows the sign-in form; a wrong token shows the server's error"""
    b.go(URL + '/')
    wait_for('the sign-in form', lambda: b.visible('[data-test=signin-form]'))
    assert not b.visible('[data-test=app]'), 'the app is shown before signing in'
    expected = session_error('not-a-token')
    b.type('[data-test=token-input]', 'not-a-token')
    b.click('[data-test=signin-button]')
    wait_for('the error banner', lambda: b.visible('[data-test=error-banner]'))
    got = wait_for('the error text', lambda: b.text('[data-test=error-text]'))
    assert expected in got, f'banner says {got!r}, the server said {expected!r}'
    assert b.visible('[data-test=signin-form]'), 'the sign-in form went away after a wrong token'


def step_signin(b, c):
    """sign in with the token; the session cookie is HttpOnly"""
    b.type('[data-test=token-input]', TOKEN)
    b.click('[data-test=signin-button]')
    wait_for('the app', lambda: b.visible('[data-test=app]'))
    wait_for('the jobs table', lambda: b.visible('[data-test=jobs-table]'))
    assert not b.visible('[data-test=error-banner]'), 'the error banner stayed after signing in'
    # The page is never reloaded from here on: collect its script errors
    # and policy violations, for the last step to look at.
    b.js('''window.__cjobsErrors = [];
        addEventListener('error', (e) => __cjobsErrors.push('error: ' + e.message));
        addEventListener('unhandledrejection', (e) => __cjobsErrors.push('unhandled: ' + e.reason));
        document.addEventListener('securitypolicyviolation', (e) => __cjobsErrors.push('CSP: ' + e.violatedDirective));''')
    cookies = b.js('return document.cookie;')
    assert 'cjobs_session' not in cookies, f'the session cookie is readable by scripts: {cookies!r}'
    status = b.js('''return fetch('/api/v1/session', {credentials: 'same-origin'}).then(r => r.status);''')
    assert status == 200, f'GET /api/v1/session from the page answered {status}'
    who = b.text('[data-test=whoami]') or ''
    assert 'admin' in who, f'whoami says {who!r}'
    # A request that changes something, with the cookie but without the
    # session's CSRF value (what another site could make the browser send),
    # is refused and changes nothing.
    forged = b.js('''return fetch('/api/v1/session', {method: 'DELETE', credentials: 'same-origin'})
        .then(r => r.status);''')
    assert forged == 403, f'DELETE /api/v1/session without X-CSRF-Token answered {forged}'
    status = b.js('''return fetch('/api/v1/session', {credentials: 'same-origin'}).then(r => r.status);''')
    assert status == 200, f'the session ended after a request without X-CSRF-Token ({status})'


def step_live_job(b, c):
    """a job submitted through the API appears and completes without a reload"""
    b.js('window.__cjobsNoReload = "still here";')
    c.quick_id = submit('web-quick', ['sh', '-c', 'echo hello from the dashboard'])
    wait_for(f'job {c.quick_id} in the table', lambda: b.visible(job_row(c.quick_id)))
    wait_for(f'job {c.quick_id} completed', lambda: b.text(f'{job_row(c.quick_id)} [data-test=job-status]') == 'completed',
             max(WAIT, 120))
    assert b.text(f'{job_row(c.quick_id)} [data-test=job-name]') == 'web-quick'
    assert b.text(f'{job_row(c.quick_id)} [data-test=job-exit]') == '0'
    assert b.js('return window.__cjobsNoReload;') == 'still here', 'the page was reloaded'
    # The refresh leaves unchanged rows alone: a focused link keeps the focus.
    b.js('document.querySelector(arguments[0]).focus();', f'{job_row(c.quick_id)} [data-test=job-link]')
    before = b.text('[data-test=jobs-updated]')
    wait_for('the next refresh', lambda: b.text('[data-test=jobs-updated]') != before)
    focused = b.js('const e = document.activeElement; const r = e.closest("[data-test=job-row]");'
                   'return e.dataset.test + " " + (r ? r.dataset.jobId : "");')
    assert focused == f'job-link {c.quick_id}', f'the focus moved to {focused!r} after a refresh'


def step_output(b, c):
    """the job's page shows its output"""
    assert c.quick_id, 'no job from the previous step'
    b.click(f'{job_row(c.quick_id)} [data-test=job-link]')
    wait_for('the job page', lambda: b.visible('[data-test=job-definition]'))
    wait_for('the output', lambda: 'hello from the dashboard' in (b.text('[data-test=output-stdout]') or ''))
    assert b.js('return location.hash;') == f'#/jobs/{c.quick_id}'
    assert b.text('[data-test=job-title] ') .startswith(f'Job {c.quick_id}')
    assert b.js('return document.querySelectorAll("[data-test=history-row]").length;') >= 2, 'no history rows'
    assert not b.visible('[data-test=job-cancel]'), 'Cancel shown for a completed job'
    assert b.js('return window.__cjobsNoReload;') == 'still here', 'the page was reloaded'


def step_follow(b, c):
    """a running job's output is followed on its page"""
    # It says something first, so that following its output can be seen.
    c.long_id = submit('web-long', ['sh', '-c', 'echo long job started; exec sleep 300'])
    b.click('[data-test=back-to-jobs]')
    wait_for(f'job {c.long_id} in the table', lambda: b.visible(job_row(c.long_id)))
    b.click(f'{job_row(c.long_id)} [data-test=job-link]')
    wait_for('its page', lambda: b.js('return location.hash;') == f'#/jobs/{c.long_id}')
    wait_for(f'job {c.long_id} running', lambda: b.text('.status-box [data-test=job-status]') == 'running',
             max(WAIT, 120))
    wait_for('its output while it runs', lambda: 'long job started' in (b.text('[data-test=output-stdout]') or ''))
    assert b.text('.status-box [data-test=job-status]') == 'running', 'the output came only after the job ended'


def step_cancel(b, c):
    """a running job is cancelled from its page after confirming"""
    assert c.long_id, 'no long job from the previous step'
    if b.js('return location.hash;') != f'#/jobs/{c.long_id}':
        b.js('location.hash = arguments[0];', f'#/jobs/{c.long_id}')
    wait_for(f'job {c.long_id} running', lambda: b.text('.status-box [data-test=job-status]') == 'running',
             max(WAIT, 120))
    wait_for('the Cancel button', lambda: b.visible('[data-test=job-cancel]'))
    assert not b.visible('[data-test=job-retry]'), 'Retry shown for a running job'
    b.click('[data-test=job-cancel]')
    wait_for('the confirm dialog', lambda: b.js('return document.querySelector("[data-test=confirm-dialog]").open;'))
    assert b.text('.status-box [data-test=job-status]') == 'running', 'cancelled before confirming'
    b.type('[data-test=confirm-reason]', 'cancelled by the browser test')
    b.click('[data-test=confirm-ok]')
    wait_for(f'job {c.long_id} cancelled', lambda: b.text('.status-box [data-test=job-status]') == 'cancelled')
    assert not b.js('return document.querySelector("[data-test=confirm-dialog]").open;')
    wait_for('the Cancel button to go', lambda: not b.visible('[data-test=job-cancel]'))
    code, job = api('GET', f'/jobs/{c.long_id}')
    assert code == 200 and job['status'] == 'cancelled', f'the API says {code} {job.get("status")}'
    reasons = [h.get('reason') for h in job.get('history', [])]
    assert any(r and 'browser test' in r for r in reasons), f'the reason is not in the history: {reasons}'


HOSTILE_OUT = '<img src=x onerror="window.__cjobsXss=1"><b>bold</b>'
HOSTILE_ERR = '<script>window.__cjobsXss=2</script>'


def step_hostile(b, c):
    """output and commands that look like HTML are shown as text"""
    jid = submit('web-hostile', ['sh', '-c', f"echo '{HOSTILE_OUT}'; echo '{HOSTILE_ERR}' >&2"])
    b.js('location.hash = arguments[0];', f'#/jobs/{jid}')
    wait_for(f'job {jid} completed', lambda: b.text('.status-box [data-test=job-status]') == 'completed',
             max(WAIT, 120))
    wait_for('its stdout', lambda: HOSTILE_OUT in (b.text('[data-test=output-stdout]') or ''))
    b.click('[data-test=output-tab-stderr]')
    wait_for('its stderr shown', lambda: b.visible('[data-test=output-stderr]'))
    wait_for('its stderr', lambda: HOSTILE_ERR in (b.text('[data-test=output-stderr]') or ''))
    assert not b.visible('[data-test=output-stdout]'), 'both streams shown at once'
    assert HOSTILE_OUT in (b.text('[data-test=def-command]') or ''), 'the command is not shown as written'
    elements = b.js("""return ['[data-test=output-stdout]', '[data-test=output-stderr]', '[data-test=def-command]']
        .map(s => document.querySelector(s).querySelectorAll('img, b, script').length);""")
    assert elements == [0, 0, 0], f'markup from the job became elements: {elements}'
    assert b.js('return window.__cjobsXss === undefined;'), 'a script from the job ran'


def step_retry(b, c):
    """a failed job is retried from its page after confirming, and its attempts are kept"""
    jid = c.retry_id = submit('web-retry', ['sh', '-c', 'echo attempt output; exit 3'])
    b.js('location.hash = arguments[0];', f'#/jobs/{jid}')
    wait_for(f'job {jid} failed', lambda: b.text('.status-box [data-test=job-status]') == 'failed', max(WAIT, 120))
    wait_for('the Retry button', lambda: b.visible('[data-test=job-retry]'))
    assert not b.visible('[data-test=job-cancel]'), 'Cancel shown for a failed job'
    assert not b.visible('[data-test=output-attempt]'), 'an attempt selector for a single attempt'
    b.click('[data-test=job-retry]')
    wait_for('the confirm dialog', lambda: b.js('return document.querySelector("[data-test=confirm-dialog]").open;'))
    b.click('[data-test=confirm-ok]')
    wait_for('the second attempt', lambda: b.text('[data-test=def-attempt]') == '2', max(WAIT, 120))
    wait_for(f'job {jid} failed again', lambda: b.text('.status-box [data-test=job-status]') == 'failed',
             max(WAIT, 120))
    wait_for('the attempt selector', lambda: b.visible('[data-test=output-attempt]'))
    assert b.js('return document.querySelector("[data-test=output-attempt]").options.length;') == 2
    wait_for('the output of attempt 2', lambda: 'attempt output' in (b.text('[data-test=output-stdout]') or ''))


def rows_where(b, field):
    return b.js("""return [...document.querySelectorAll('[data-test=job-row]')].map(r => [r.dataset.jobId,
        r.querySelector('[data-test=' + arguments[0] + ']').textContent]);""", field)


def step_filters(b, c):
    """the jobs table filters by status and by name"""
    assert c.long_id and c.quick_id, 'no jobs from the earlier steps'
    b.click('[data-test=nav-jobs]')
    wait_for('the jobs table', lambda: b.visible('[data-test=jobs-table]'))
    b.click('[data-test=filter-status-cancelled]')
    wait_for('only cancelled jobs, job %s among them' % c.long_id, lambda: (lambda rows: rows
             and all(st == 'cancelled' for _, st in rows)
             and str(c.long_id) in [i for i, _ in rows])(rows_where(b, 'job-status')))
    b.click('[data-test=filter-status-cancelled]')
    b.type('[data-test=filter-name]', 'web-quick')
    wait_for('only jobs named web-quick, job %s among them' % c.quick_id, lambda: (lambda rows: rows
             and all(n == 'web-quick' for _, n in rows)
             and str(c.quick_id) in [i for i, _ in rows])(rows_where(b, 'job-name')))
    b.click('[data-test=filter-clear]')
    wait_for('the filters cleared', lambda: str(c.long_id) in [i for i, _ in rows_where(b, 'job-name')])


def queue_tiles(b):
    """The queue page's count tiles, as {label: text}."""
    return b.js('const t = {}; for (const e of document.querySelectorAll("[data-test=queue-counts] .count"))'
                ' t[e.querySelector(".count-k").textContent] = e.querySelector(".count-n").textContent;'
                ' return t;')


def step_queue(b, c):
    """the queue page shows the queue's counts, held jobs too, and an SVG plot"""
    # One job held by a start time still to come, one waiting for it: the
    # tiles must tell them from ready ones, with the figures of the API.
    later = api('POST', '/jobs', {'image': IMAGE, 'name': 'web-later', 'command': ['true'], 'at': '+1h'})
    assert later[0] == 201, f'submitting web-later: {later}'
    held = api('POST', '/jobs', {'image': IMAGE, 'name': 'web-held', 'command': ['true'],
                                 'after': [later[1]['ids'][0]]})
    assert held[0] == 201, f'submitting web-held: {held}'
    b.click('[data-test=nav-queue]')
    wait_for('the plot', lambda: b.visible('[data-test=queue-svg]'))

    def tiles_match():
        code, st = api('GET', '/status')
        q = st['queue']
        want = {'ready': q['ready'], 'scheduled': q['scheduled'], 'waiting': q['waiting'], **st['counts']}
        got = queue_tiles(b)
        if q['scheduled'] >= 1 and q['waiting'] >= 1 and got == {k: str(v) for k, v in want.items()}:
            return got
        b.click('[data-test=range-hour]')  # asks again at once
        return None
    wait_for('the tiles to show the held jobs as the API counts them', tiles_match)
    code, body = api('POST', f'/jobs/{later[1]["ids"][0]}/cancel', {'reason': 'the browser test is done with it'})
    assert code == 200, f'cancelling web-later: {code} {body}'
    lines = wait_for('the plot lines', lambda: b.js(
        'return document.querySelectorAll("[data-test=queue-svg] path.line").length;'))
    assert lines == 3, f'{lines} lines in the plot'
    assert b.js('return document.querySelectorAll("[data-test=queue-legend] li").length;') == 3
    # The cursor shows the values of a minute under the mouse.
    b.js('''const r = document.querySelector("[data-test=queue-svg] .hit").getBoundingClientRect();
            document.querySelector("[data-test=queue-svg] .hit").dispatchEvent(new MouseEvent("mousemove",
              {clientX: r.right - 2, clientY: r.top + r.height / 2, bubbles: true}));''')
    tip = wait_for('the tooltip', lambda: b.text('[data-test=plot-tooltip]'))
    assert 'Queued' in tip and 'Finished' in tip, f'tooltip says {tip!r}'
    b.click('[data-test=range-day]')
    wait_for('the day range', lambda: b.js(
        'return document.querySelector("[data-test=range-day]").getAttribute("aria-pressed") === "true" && '
        '/day/.test(document.querySelector("[data-test=queue-svg] title").textContent);'))


def step_hosts(b, c):
    """the hosts page lists the hosts and checks one"""
    code, body = api('GET', '/hosts')
    assert code == 200, f'GET /hosts: {code}'
    names = sorted(h['name'] for h in body['hosts'])
    assert names, 'the server has no hosts'
    b.click('[data-test=nav-hosts]')
    wait_for('the host rows', lambda: b.js(
        'return document.querySelectorAll("[data-test=host-row]").length;') == len(names))
    shown = sorted(b.js('return [...document.querySelectorAll("[data-test=host-name]")].map(e => e.textContent);'))
    assert shown == names, f'the page lists {shown}, the API {names}'
    b.click('[data-test=host-row] [data-test=host-check]')
    wait_for('the health result', lambda: (b.text('[data-test=host-row] [data-test=host-health]') or '')
             .strip() not in ('', 'checking…'))


def step_signout(b, c):
    """no script error since signing in; sign out returns to the sign-in form and the session is gone"""
    errors = b.js('return window.__cjobsErrors;')
    assert errors == [], f'the page had errors: {errors}'
    b.click('[data-test=signout]')
    wait_for('the sign-in form', lambda: b.visible('[data-test=signin-form]'))
    status = b.js('''return fetch('/api/v1/session', {credentials: 'same-origin'}).then(r => r.status);''')
    assert status == 401, f'GET /api/v1/session after signing out answered {status}'


def step_read_scope(b, c):
    """a read-only token sees no Cancel, Retry or Check now"""
    read = os.environ.get('CJOBS_READ_TOKEN')
    if not read:
        raise Skip('no CJOBS_READ_TOKEN')
    assert c.retry_id, 'no failed job from the earlier steps'
    wait_for('the sign-in form', lambda: b.visible('[data-test=signin-form]'))
    b.type('[data-test=token-input]', read)
    b.click('[data-test=signin-button]')
    wait_for('the app', lambda: b.visible('[data-test=app]'))
    assert 'read' in (b.text('[data-test=whoami]') or '')
    b.js('location.hash = arguments[0];', f'#/jobs/{c.retry_id}')
    wait_for(f'job {c.retry_id} failed', lambda: b.text('.status-box [data-test=job-status]') == 'failed')
    assert not b.visible('[data-test=job-retry]'), 'Retry shown to a read-only token'
    b.click('[data-test=nav-hosts]')
    wait_for('the host rows', lambda: b.js('return document.querySelectorAll("[data-test=host-row]").length;'))
    assert b.js('return document.querySelectorAll("[data-test=host-check]").length;') == 0, \
        'Check now shown to a read-only token'
    b.click('[data-test=signout]')
    wait_for('the sign-in form', lambda: b.visible('[data-test=signin-form]'))


STEPS = [step_signin_form, step_signin, step_live_job, step_output, step_follow, step_cancel, step_hostile,
         step_retry, step_filters, step_queue, step_hosts, step_signout, step_read_scope]


def main():
    if not URL or not TOKEN:
        print('Bail out! CJOBS_URL and CJOBS_TOKEN must be set')
        return 2
    os.makedirs(SHOTS, exist_ok=True)
    profile = tempfile.mkdtemp(prefix='cjobs-chromium-')
    driver = None
    browser = None
    failed = 0
    n = 0

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    try:
        try:
            driver, base = start_driver(SHOTS)
            browser = Browser(base)
            browser.start(profile)
        except Exception as e:  # noqa: BLE001: any failure to start is a bail-out
            print(f'Bail out! cannot start the browser: {e}')
            return 2
        print(f'# screenshots in {SHOTS}')
        ctx = Ctx()
        for step in STEPS:
            n += 1
            desc = step.__doc__.strip()
            try:
                step(browser, ctx)
                print(f'ok {n} - {desc}')
            except Skip as e:
                print(f'ok {n} - {desc} # SKIP {e}')
            except Exception as e:  # noqa: BLE001: a step's failure is reported, the next step runs
                failed += 1
                print(f'not ok {n} - {desc}')
                for line in (f'{type(e).__name__}: {e}\n' + ''.join(traceback.format_tb(e.__traceback__)[-2:])).splitlines():
                    print(f'#   {line}')
            finally:
                try:
                    browser.shot(os.path.join(SHOTS, f'{n:02d}-{step.__name__[5:]}.png'))
                except Exception as e:  # noqa: BLE001
                    print(f'#   no screenshot: {e}')
            sys.stdout.flush()
        print(f'1..{n}')
        return 1 if failed else 0
    finally:
        if browser is not None:
            try:
                browser.quit()
            except Exception:  # noqa: BLE001: chromedriver is stopped below anyway
                pass
        stop_driver(driver)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
