#!/usr/bin/env python3
"""A hostile epmd on loopback: answers one PORT_PLEASE2_REQ badly.

Python's own sockets, not our code. Listens on [::1]:0, prints the port,
serves one connection, and exits; it never lives longer than LIFETIME
seconds and never sends more than FLOOD_LIMIT bytes.

  dribble   a valid PORT2_RESP, one byte every 0.9 s
  flood     "w", 0, then 0xff bytes as fast as the reader takes them
  linger    a valid PORT2_RESP at once, then the connection held open
  long-name a PORT2_RESP whose name length is 65535
"""
import signal
import socket
import struct
import sys
import time

LIFETIME = 12
FLOOD_LIMIT = 64 << 20


def reply(name):
    # PORT2_RESP: w, Result, PortNo, NodeType, Protocol, High, Low, Nlen,
    # NodeName, Elen, Extra
    return (b"w\x00" + struct.pack(">HBBHHH", 40123, 77, 0, 6, 5, len(name))
            + name + struct.pack(">H", 0))


def main(mode):
    signal.alarm(LIFETIME)
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("::1", 0))
    s.listen(1)
    print(s.getsockname()[1], flush=True)
    conn, _ = s.accept()
    (size,) = struct.unpack(">H", conn.recv(2, socket.MSG_WAITALL))
    name = conn.recv(size, socket.MSG_WAITALL)[1:]
    try:
        if mode == "dribble":
            for byte in reply(name):
                conn.sendall(bytes([byte]))
                time.sleep(0.9)
        elif mode == "flood":
            conn.sendall(b"w\x00")
            chunk = b"\xff" * 65536
            for _ in range(FLOOD_LIMIT // len(chunk)):
                conn.sendall(chunk)
        elif mode == "linger":
            conn.sendall(reply(name))
            time.sleep(LIFETIME)
        elif mode == "long-name":
            conn.sendall(b"w\x00" + struct.pack(">HBBHHH", 40123, 77, 0, 6, 5, 65535))
            time.sleep(LIFETIME)
    except OSError:
        pass  # the reader hung up: what a bounded reader does
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1])
