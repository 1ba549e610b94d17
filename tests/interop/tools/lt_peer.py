"""A python3-libtorrent peer for interop tests and benchmarks.

  lt_peer.py seed TORRENT SAVE_PATH PORT SECONDS [UPLOAD_LIMIT]   check the data, print "seeding", serve
  lt_peer.py leech TORRENT SAVE_PATH PORT SECONDS [DOWNLOAD_LIMIT] download, print "done S" when complete
  either with --encryption=forced anywhere: RC4-encrypted (MSE) connections only, both ways;
  --encryption=disabled: plaintext only (the default accepts both);
  --transport=utp: uTP only, in and out (TCP off); --transport=tcp (the default): TCP only

TORRENT is a .torrent file or a magnet link (its trackers and x.pe peers are used); a leech
prints "metadata S" once it has the metadata (S: seconds since it started). A leech also
prints "pex IP:PORT" for each peer it learned through peer exchange and connected to.

Loopback settings from shared/REAL-CLIENTS.md: no DHT/LSD/UPnP/NAT-PMP, TCP only unless
--transport=utp, several connections per IP. Exits 1 if SECONDS pass first (seeders exit 0 then).
"""
import sys
import time

import libtorrent as lt


def encryption_settings(policy):
    """libtorrent's settings for --encryption=POLICY: forced, disabled, or (None) its default."""
    if policy is None:
        return {}
    levels = {"forced": lt.enc_level.rc4, "disabled": lt.enc_level.plaintext}
    if policy not in levels:
        raise SystemExit(f"lt_peer.py: unknown encryption {policy!r} (forced or disabled)")
    return {
        "out_enc_policy": int(getattr(lt.enc_policy, policy)),
        "in_enc_policy": int(getattr(lt.enc_policy, policy)),
        "allowed_enc_level": int(levels[policy]),
    }


def transport_settings(transport):
    """libtorrent's settings for --transport=TRANSPORT: exactly one of TCP and uTP, in and out.

    TCP is the default because libtorrent's uTP over loopback is far slower (REAL-CLIENTS.md);
    uTP alone is for proving a peer speaks uTP, as libtorrent then cannot fall back to TCP.
    """
    if transport not in ("tcp", "utp"):
        raise SystemExit(f"lt_peer.py: unknown transport {transport!r} (tcp or utp)")
    utp = transport == "utp"
    return {
        "enable_outgoing_utp": utp,
        "enable_incoming_utp": utp,
        "enable_outgoing_tcp": not utp,
        "enable_incoming_tcp": not utp,
    }


def main():
    options = [arg for arg in sys.argv[1:] if arg.startswith("--")]
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    encryption = None
    transport = "tcp"
    for option in options:
        name, _, value = option.partition("=")
        if name == "--encryption":
            encryption = value
        elif name == "--transport":
            transport = value
        else:
            raise SystemExit(f"lt_peer.py: unknown option {option}")
    mode, torrent, save_path, port, seconds = args[0:5]
    limit = int(args[5]) if len(args) > 5 else 0
    started = time.time()
    session = lt.session({
        "upload_rate_limit": limit if mode == "seed" else 0,
        "download_rate_limit": limit if mode == "leech" else 0,
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        **transport_settings(transport),
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification,
        **encryption_settings(encryption),
    })
    if limit:
        # libtorrent exempts local peers from rate limits; on loopback every peer is local.
        classes = lt.ip_filter()
        classes.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        session.set_peer_class_filter(classes)
    if torrent.startswith("magnet:"):
        params = lt.parse_magnet_uri(torrent)
        params.save_path = save_path
        handle = session.add_torrent(params)
    else:
        handle = session.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save_path})
    deadline = started + float(seconds)
    announced = False
    had_metadata = False
    told_pex = set()
    while time.time() < deadline:
        for alert in session.pop_alerts():
            if isinstance(alert, lt.tracker_reply_alert) and not announced:
                announced = True
                print(f"announced {alert.num_peers}", flush=True)
            elif isinstance(alert, lt.tracker_error_alert):
                print(f"tracker error: {alert.message()}", file=sys.stderr, flush=True)
        status = handle.status()
        if mode == "leech":
            if status.has_metadata and not had_metadata:
                had_metadata = True
                print(f"metadata {time.time() - started:.3f}", flush=True)
            for peer in handle.get_peer_info():
                address = f"{peer.ip[0]}:{peer.ip[1]}"
                if peer.source & lt.peer_info.pex and address not in told_pex:
                    told_pex.add(address)
                    print(f"pex {address}", flush=True)
        if status.is_seeding:
            if mode == "leech":
                print(f"done {time.time() - started:.3f}", flush=True)
                return 0
            if not getattr(main, "said", False):
                main.said = True
                print("seeding", flush=True)
        time.sleep(0.05)
    return 0 if mode == "seed" else 1


if __name__ == "__main__":
    sys.exit(main())
