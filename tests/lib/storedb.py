"""tests/lib/storedb.py: the test's own store from Python, on either driver.

connect() gives sqlite3's connection for an SQLite store, and for a
PostgreSQL one (CJOBS_TEST_STORE=postgresql, as tests/run and test-lib.sh
set it) an object with the little of sqlite3's interface the tests use:
execute(sql, params) returning rows as tuples (fetchall, fetchone,
iteration), with ? placeholders and integers read back as integers. It runs
each statement through psql, so it needs nothing but the server's client.
It must never be used for anything but reading and editing a test's store.
"""
import os
import re
import sqlite3
import subprocess

_FIELD, _RECORD, _NULL = "\x1f", "\x1e", "\x1d"


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _value(text):
    if text == _NULL:
        return None
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


class _Rows:
    def __init__(self, rows):
        self._rows = rows

    def fetchall(self):
        return list(self._rows)

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def __iter__(self):
        return iter(self._rows)


class _Pg:
    def __init__(self, conninfo):
        kv = dict(p.split("=", 1) for p in conninfo.split())
        bindir = sorted(
            (d for d in os.listdir("/usr/lib/postgresql")),
            key=lambda x: [int(n) for n in re.findall(r"[0-9]+", x)])[-1]
        self._cmd = ["/usr/lib/postgresql/%s/bin/psql" % bindir, "-X", "-q", "-A", "-t",
                     "-F", _FIELD, "-R", _RECORD, "-P", "null=" + _NULL,
                     "-v", "ON_ERROR_STOP=1", "-h", kv["host"], "-U", kv.get("user", "cjobs"),
                     "-d", kv["dbname"]]

    def execute(self, sql, params=()):
        params = list(params)
        parts = sql.split("?")
        if len(parts) - 1 != len(params):
            raise ValueError("%d placeholders, %d values" % (len(parts) - 1, len(params)))
        text = parts[0] + "".join(_literal(v) + p for v, p in zip(params, parts[1:]))
        out = subprocess.run(self._cmd + ["-c", text], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("psql: " + out.stderr.strip())
        rows = [tuple(_value(f) for f in r.split(_FIELD))
                for r in out.stdout.rstrip("\n").split(_RECORD) if r != ""]
        return _Rows(rows)

    def commit(self):
        pass

    def close(self):
        pass


def connect(name=None, **kw):
    name = name or os.environ["CJOBS_DATABASE"]
    if os.environ.get("CJOBS_TEST_STORE") == "postgresql" and "dbname=" in name:
        return _Pg(name)
    return sqlite3.connect(name, **kw)
