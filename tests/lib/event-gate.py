#!/usr/bin/env python3
"""tests/lib/event-gate.py LISTEN ENGINE GATE: a unix-socket relay in front
of a real engine that holds back its event stream.

Every connection to LISTEN is relayed byte for byte to the engine socket
ENGINE, both ways, except that once a request for /events went over a
connection, what the engine sends after that answer's headers is kept
back until the file GATE exists: the worker's stream is open, but it hears of
no container's end. A test can so make a worker learn late, as a slow
network would, that a container has exited, and see what the worker then
does (its time limit reached meanwhile, say). The engine is the real one;
only the delivery of its events is delayed.
"""
import os
import signal
import socket
import sys
import threading
import time

listen_path, engine_path, gate = sys.argv[1], sys.argv[2], sys.argv[3]


def to_engine(client, engine, events_asked):
    """Copies the client's requests to the engine; notes when one is for
    /events (libcurl may send it on a connection that served others)."""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if b"/events" in data:
                events_asked.set()
            engine.sendall(data)
    except OSError:
        pass
    close_both(client, engine)


def to_client(engine, client, events_asked):
    """Copies the engine's answers to the client; after the headers of the
    answer to /events, waits for the gate. Without pipelining, the bytes
    after an /events request are that answer's."""
    pending = b""
    holding = False
    try:
        while True:
            data = engine.recv(65536)
            if not data:
                break
            if not holding and events_asked.is_set():
                pending += data
                end = pending.find(b"\r\n\r\n")
                if end < 0:
                    continue
                client.sendall(pending[: end + 4])
                data = pending[end + 4 :]
                holding = True
            if holding:
                while not os.path.exists(gate):
                    time.sleep(0.02)
            if data:
                client.sendall(data)
    except OSError:
        pass
    close_both(engine, client)


def close_both(a, b):
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    engine.connect(engine_path)
    events_asked = threading.Event()
    threading.Thread(target=to_engine, args=(client, engine, events_asked), daemon=True).start()
    to_client(engine, client, events_asked)


# Stopped as the tests stop a worker (stop_on_exit sends SIGINT), which a
# background job of a script starts out ignoring: taken back explicitly.
signal.signal(signal.SIGINT, lambda *_: os._exit(0))
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if os.path.exists(listen_path):
    os.unlink(listen_path)
server.bind(listen_path)
server.listen(64)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
