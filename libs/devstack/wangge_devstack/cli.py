"""`wangge run`: registered into the `wangge` command through the `wangge.commands` entry point."""
from __future__ import annotations


def cmd_run(args) -> int:
    from .foreground import run_foreground

    return run_foreground(load_demo=not args.no_demo)


def register(sub) -> None:
    """Add this package's subcommands to `wangge`'s argparse subparsers."""
    p = sub.add_parser("run", help="run the whole suite on this machine (broker, five services, demo data)")
    p.add_argument("--no-demo", action="store_true", help="start without loading the demo county")
    p.set_defaults(func=cmd_run)
