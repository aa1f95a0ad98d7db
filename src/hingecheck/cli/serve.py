"""`hingecheck serve`: the trainer's workspace (a web app; lifters upload from the phone)."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from pathlib import Path

from hingecheck.cli.options import positive_int
from hingecheck.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="the trainer's web workspace: lifters upload, the trainer reviews",
        description="Run the trainer's workspace: each client gets a private upload link, "
        "their sets are analysed in the background, the trainer reviews and answers. "
        "Needs the serve extra: pip install 'hingecheck[serve]'.",
    )
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the database, uploads and results live (default: the user's data folder)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="sets analysed at once (default: the batch engine's choice; each ~400 MB)",
    )
    p.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="run the analyses on this Ray cluster (through the batch engine)",
    )
    p.add_argument("--config", type=Path, default=None, help="TOML file overriding thresholds")
    p.add_argument(
        "--max-upload-mb",
        type=positive_int,
        default=1024,
        metavar="MB",
        help="largest upload accepted (default 1024 MB)",
    )
    p.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the address lifters reach (for their links and QR codes), e.g. behind a proxy: "
        "https://coach.example.org (default: as each request arrives)",
    )
    p.add_argument(
        "--proxy",
        type=_proxy,
        action="append",
        default=[],
        metavar="ADDR",
        help="the address (or network, e.g. 10.0.0.0/24) of a reverse proxy in front: only its "
        "X-Forwarded-For/-Proto are believed (default: none; repeat for several)",
    )
    p.add_argument(
        "--https-cookies",
        action="store_true",
        help="send the trainer's session cookie over HTTPS only (behind a TLS proxy)",
    )
    p.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text!r}")
    return n


def _proxy(text: str) -> str:
    """--proxy: an IP address or network (a name would be looked up and could change)."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an IP address or network such as 127.0.0.1 or 10.0.0.0/24, got {text!r}"
        ) from None


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a taken port is a clear error, not a traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host}: {exc.strerror}") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from hingecheck.serve import Settings, create_app, default_data_dir
    except ImportError as exc:
        raise InputError(
            f"hingecheck serve needs its extra ({exc.name} is missing): "
            "pip install 'hingecheck[serve]'"
        ) from None
    if args.config is not None and not args.config.is_file():
        raise InputError(f"no such config file: {args.config}")
    if args.public_url and not args.public_url.startswith(("http://", "https://")):
        raise InputError(f"--public-url must start with https:// (got {args.public_url!r})")
    settings = Settings(
        data=(args.data or default_data_dir()).expanduser().resolve(),
        max_upload_bytes=args.max_upload_mb * 1_000_000,
        workers=args.workers,
        ray_address=args.ray_address,
        config_path=args.config.resolve() if args.config else None,
        https_cookies=args.https_cookies,
        public_url=args.public_url,
    )
    app = create_app(settings)
    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}"
    say = sys.stderr
    print(f"hingecheck serve: {url} (data in {settings.data})", file=say)
    if not is_loopback(args.host):
        print(
            f"hingecheck serve: warning: listening on {args.host}, reachable from other "
            "machines over plain HTTP: put it behind an HTTPS reverse proxy (see the README)",
            file=say,
        )
    ctx = app.state.ctx
    if ctx.store.password_hash() is None:
        print(
            f"hingecheck serve: first start: set the trainer's password at "
            f"{url}{app.url_path_for('setup')}?code={ctx.setup_code}",
            file=say,
        )
    say.flush()
    config = uvicorn.Config(
        app,
        log_level="warning",
        # Forwarded addresses count for the login limits: believed from the named proxies only.
        proxy_headers=bool(args.proxy),
        forwarded_allow_ips=args.proxy or None,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0
