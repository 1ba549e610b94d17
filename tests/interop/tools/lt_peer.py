"""A python3-libtorrent peer for interop tests.

  lt_peer.py seed TORRENT SAVE_PATH PORT SECONDS [UPLOAD_LIMIT]   check the data, print "seeding", serve
  lt_peer.py leech TORRENT SAVE_PATH PORT SECONDS                  download, print "done" when complete

Loopback settings from shared/REAL-CLIENTS.md: no DHT/LSD/UPnP/NAT-PMP, TCP only,
several connections per IP. Exits 1 if SECONDS pass first (seeders exit 0 then).
"""
import sys
import time

import libtorrent as lt


def main():
    mode, torrent, save_path, port, seconds = sys.argv[1:6]
    upload_limit = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    session = lt.session({
        "upload_rate_limit": upload_limit,
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification,
    })
    handle = session.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save_path})
    deadline = time.time() + float(seconds)
    announced = False
    while time.time() < deadline:
        for alert in session.pop_alerts():
            if isinstance(alert, lt.tracker_reply_alert) and not announced:
                announced = True
                print(f"announced {alert.num_peers}", flush=True)
            elif isinstance(alert, lt.tracker_error_alert):
                print(f"tracker error: {alert.message()}", file=sys.stderr, flush=True)
        status = handle.status()
        if status.is_seeding:
            if mode == "leech":
                print("done", flush=True)
                return 0
            if not getattr(main, "said", False):
                main.said = True
                print("seeding", flush=True)
        time.sleep(0.05)
    return 0 if mode == "seed" else 1


if __name__ == "__main__":
    sys.exit(main())
