"""Drives python3-libtorrent for the interop tests.

  lt_torrent.py create PATH PIECE_LENGTH OUT   write a v1-only torrent of PATH
  lt_torrent.py read TORRENT                   print JSON: info hash, name, size, files, magnet
  lt_torrent.py magnet URI                     print JSON: what libtorrent reads of a magnet link

libtorrent's own add_files() lists a directory in readdir order, which is not
deterministic; to compare info hashes the files are added here in the order
mktorrent and p2p use (sorted by path bytes).
"""
import json
import os
import sys

import libtorrent as lt


def create(path, piece_length, out):
    fs = lt.file_storage()
    base = os.path.dirname(os.path.abspath(path))
    if os.path.isfile(path):
        fs.add_file(os.path.basename(path), os.path.getsize(path))
    else:
        name = os.path.basename(os.path.abspath(path))
        found = []
        for root, _dirs, files in os.walk(path):
            for file in files:
                full = os.path.join(root, file)
                found.append(os.path.relpath(full, base))
        for relative in sorted(found, key=lambda p: p.encode()):
            fs.add_file(relative, os.path.getsize(os.path.join(base, relative)))
        assert fs.name() == name
    torrent = lt.create_torrent(fs, piece_length, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(torrent, base)
    with open(out, "wb") as handle:
        handle.write(lt.bencode(torrent.generate()))


def read(path):
    info = lt.torrent_info(path)
    files = info.files()
    print(json.dumps({
        "infoHash": str(info.info_hashes().v1),
        "name": info.name(),
        "totalLength": info.total_size(),
        "pieceCount": info.num_pieces(),
        "pieceLength": info.piece_length(),
        "files": [[files.file_path(i), files.file_size(i)] for i in range(files.num_files())],
        "magnet": lt.make_magnet_uri(info),
    }))


def magnet(uri):
    params = lt.parse_magnet_uri(uri)
    print(json.dumps({
        "infoHash": str(params.info_hashes.v1),
        "name": params.name,
        "trackers": list(params.trackers),
        "tiers": list(params.tracker_tiers),
        "webSeeds": list(params.url_seeds),
        "peers": [[ip, port] for ip, port in params.peers],
        "selected": [i for i, p in enumerate(params.file_priorities) if p > 0],
    }))


if __name__ == "__main__":
    if sys.argv[1] == "create":
        create(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "magnet":
        magnet(sys.argv[2])
    else:
        read(sys.argv[2])
