"""`python -m recs demo`: fill a warehouse with the synthetic demo shop (replaces its orders)."""

from __future__ import annotations

import argparse
import sys
import time

from recs.commands._common import add_db_argument, db_path
from recs.db import connect
from recs.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate the synthetic demo shop (replaces orders, products and assignments)",
        description="Generate the deterministic demo shop: customers over 2024-2025, 300+ products, "
                    "seasonality, repurchase cycles, guests, cancellations, returns and the A/B "
                    "experiment 'reco-email' with a planted lift (docs/demo.md).",
    )
    add_db_argument(parser)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--customers", type=int, default=None, help="registered customers (default 5000)")
    size.add_argument("--lines", type=int, default=None,
                      help="scale the shop to about this many order lines (e.g. 10000000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from recs.demo import generate_demo

    for name in ("customers", "lines"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InputError(f"--{name} must be at least 1 (got {value})")
    if args.seed < 0:
        raise InputError(f"--seed must be 0 or more (got {args.seed})")

    show = not args.quiet and sys.stderr.isatty()

    def progress(fraction: float, message: str) -> None:
        if show:
            print(f"\r{fraction:6.1%}  {message}", end="", file=sys.stderr, flush=True)

    path = db_path(args)
    t0 = time.perf_counter()
    con = connect(path)
    try:
        summary = generate_demo(con, customers=args.customers or 5000, seed=args.seed, lines=args.lines,
                                progress=progress)
    finally:
        con.close()
    if show:
        print(file=sys.stderr)
    exp = summary["experiment"]
    print(f"demo shop written to {path} (seed {summary['seed']})")
    print(f"  customers        {summary['customers']:,} ({summary['repeat_customers']:,} with 2+ orders, "
          f"repurchase rate {summary['repurchase_rate']:.1%})")
    print(f"  orders           {summary['orders']:,} ({summary['valid_orders']:,} with a valid line, "
          f"{summary['guest_orders']:,} guest orders)")
    print(f"  order lines      {summary['lines']:,} ({summary['cancelled_lines']:,} cancelled, "
          f"{summary['returned_lines']:,} returned)")
    print(f"  products         {summary['products']:,} in {summary['categories']} categories")
    print(f"  dates            {summary['first_order_at']} .. {summary['last_order_at']}")
    print(f"  experiment       {exp['experiment_id']}: {exp['control']:,} control, {exp['treatment']:,} treatment "
          f"from {exp['start']}; planted +{exp['planted_conversion_lift_pp']:g} pp {exp['window_days']}-day "
          f"conversion")
    print(f"  time             {time.perf_counter() - t0:.1f} s")
    return 0
