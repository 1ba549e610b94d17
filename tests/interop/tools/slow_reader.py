#!/usr/bin/env python3
"""A peer that asks a seed for data and never reads it (a hostile test peer).

Usage: slow_reader.py PORT INFO_HASH_HEX PIECES PIECE_LENGTH REQUESTS SECONDS

Its receive buffer is set to 4 KiB before it connects (Deno cannot set socket
options), so the seed's writes stop once its own send buffer is full: on
loopback, buffers would otherwise take tens of megabytes. It says
interested, asks for REQUESTS blocks, prints "asked", then sleeps for
SECONDS without reading a byte.
"""
import os
import socket
import struct
import sys
import time

port, info_hash, pieces, piece_length, requests, seconds = sys.argv[1:7]
pieces, piece_length, requests = int(pieces), int(piece_length), int(requests)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
sock.connect(("127.0.0.1", int(port)))
peer_id = b"-XX0000-" + os.urandom(6).hex().encode()
sock.sendall(b"\x13BitTorrent protocol" + bytes(8) + bytes.fromhex(info_hash) + peer_id)
out = [struct.pack(">IB", 1, 2)]  # interested
blocks_per_piece = piece_length // 16384
for n in range(requests):
    index, block = divmod(n, blocks_per_piece)
    out.append(struct.pack(">IBIII", 13, 6, index % pieces, block * 16384, 16384))
sock.sendall(b"".join(out))
print("asked", flush=True)
time.sleep(float(seconds))
