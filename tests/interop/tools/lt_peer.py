"""A python3-libtorrent peer for interop tests and benchmarks.

  lt_peer.py seed TORRENT SAVE_PATH PORT SECONDS [UPLOAD_LIMIT]   check the data, print "seeding", serve
  lt_peer.py leech TORRENT SAVE_PATH PORT SECONDS [DOWNLOAD_LIMIT] download, print "done S" when complete
  either with --encryption=forced anywhere: RC4-encrypted (MSE) connections only, both ways;
  --encryption=disabled: plaintext only (the default accepts both);
  --transport=utp: uTP only, in and out (TCP off); --transport=tcp (the default): TCP only;
  --dht=HOST:PORT: the DHT on, bootstrapped through that node (repeatable), its IP restrictions
  relaxed for loopback; --lsd: local service discovery on (BEP 14); --listen=IP: listen on IP
  instead of 127.0.0.1 (in a network namespace of the test's own)

TORRENT is a .torrent file or a magnet link (its trackers and x.pe peers are used); a leech
prints "metadata S" once it has the metadata (S: seconds since it started). A leech also
prints "pex IP:PORT" (or "dht IP:PORT", "lsd IP:PORT") for each peer it learned through peer
exchange (the DHT, local discovery) and connected to.

Loopback settings from shared/REAL-CLIENTS.md: no DHT/LSD/UPnP/NAT-PMP unless asked, TCP only
unless --transport=utp, several connections per IP. Exits 1 if SECONDS pass first (seeders exit 0
then).
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


def discovery_settings(dht_nodes, lsd):
    """libtorrent's settings for --dht and --lsd: off unless asked, and loopback-friendly."""
    settings = {"enable_dht": bool(dht_nodes), "enable_lsd": lsd}
    if dht_nodes:
        settings.update({
            "dht_bootstrap_nodes": ",".join(dht_nodes),
            # Every node of a loopback lab is at 127.0.0.1: none of libtorrent's
            # one-node-per-IP, verified-id or dark-internet rules may refuse them.
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
            "dht_prefer_verified_node_ids": False,
            "dht_enforce_node_id": False,
            "dht_ignore_dark_internet": False,
            # A test's seed announces moments after the leech looked: look again soon.
            "dht_announce_interval": 5,
        })
    return settings


def main():
    options = [arg for arg in sys.argv[1:] if arg.startswith("--")]
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    encryption = None
    transport = "tcp"
    dht_nodes = []
    lsd = False
    listen = "127.0.0.1"
    for option in options:
        name, _, value = option.partition("=")
        if name == "--encryption":
            encryption = value
        elif name == "--transport":
            transport = value
        elif name == "--dht":
            dht_nodes.append(value)
        elif name == "--lsd":
            lsd = True
        elif name == "--listen":
            listen = value
        else:
            raise SystemExit(f"lt_peer.py: unknown option {option}")
    mode, torrent, save_path, port, seconds = args[0:5]
    limit = int(args[5]) if len(args) > 5 else 0
    started = time.time()
    session = lt.session({
        "upload_rate_limit": limit if mode == "seed" else 0,
        "download_rate_limit": limit if mode == "leech" else 0,
        "listen_interfaces": f"{listen}:{port}",
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        **transport_settings(transport),
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification,
        **encryption_settings(encryption),
        **discovery_settings(dht_nodes, lsd),
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
                for source, name in ((lt.peer_info.dht, "dht"), (lt.peer_info.lsd, "lsd")):
                    if peer.source & source and (name, address) not in told_pex:
                        told_pex.add((name, address))
                        print(f"{name} {address}", flush=True)
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
