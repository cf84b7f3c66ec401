"""`kzoo hub serve`: the local Hub mirror (olah, offline) of the project's published repos."""

from __future__ import annotations

import argparse
import signal
import time

from kzoo.cli._zoo_args import zoo_errors


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hub", help="the local Hugging Face Hub mirror")
    hub_sub = parser.add_subparsers(dest="hub_command", required=True)
    serve = hub_sub.add_parser("serve", help="serve hub/ with olah on 127.0.0.1 (offline mode)")
    serve.add_argument(
        "--hub-dir", default=None, help="folder of repository bundles (default: the project's hub/)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: a free port")
    serve.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: Ctrl-C)",
    )
    serve.set_defaults(func=serve_run)


@zoo_errors
def serve_run(args: argparse.Namespace) -> int:
    """Serves until --duration, Ctrl-C (SIGINT) or SIGTERM; each stops olah and removes its
    temporary folder."""
    from kzoo.hub.olah_server import OlahServer

    previous = signal.signal(signal.SIGTERM, _interrupt)
    # Our own SIGINT handler: a process started in the background inherits SIGINT ignored.
    previous_int = signal.signal(signal.SIGINT, _interrupt)
    server = OlahServer(args.hub_dir, host=args.host, port=args.port)
    try:
        server.start()
        print(
            f"olah serves {len(server.repo_ids)} repositories from {server.hub_dir} on {server.url}"
        )
        for repo_id in server.repo_ids:
            print(f"  {repo_id}")
        print(f"mirror folder {server.workdir} (removed on exit)")
        print(f"export HF_ENDPOINT={server.url}", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            if server.process is None or server.process.poll() is not None:
                print(f"olah stopped:\n{server.log_tail()}")
                return 1
            time.sleep(min(0.5, max(0.0, (deadline or float("inf")) - time.monotonic())))
    except KeyboardInterrupt:
        print("stopping olah", flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the cleanup
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            server.stop()
        finally:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
