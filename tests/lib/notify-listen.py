#!/usr/bin/env python3
"""tests/lib/notify-listen.py SOCKET LOG: a service manager's notification
socket, owned by the test. Binds a unix datagram socket at the path SOCKET
(the test points NOTIFY_SOCKET at it) and appends each datagram to LOG as
it comes: its lines as sent, then a line "--". Runs until it is killed.
"""
import socket
import sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
with open(sys.argv[2], "a", encoding="utf-8", errors="replace") as log:
    while True:
        data = sock.recv(65536)
        log.write(data.decode("utf-8", "replace") + "\n--\n")
        log.flush()
