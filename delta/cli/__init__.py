"""The ``delta`` command line.

Heavy libraries (TensorFlow, boto3, the Globus SDK, scikit-learn) are imported inside the
commands that need them, so ``delta --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

from delta.cli import observe, plan, prices
from delta.errors import DeltaError

app = typer.Typer(
    name="delta",
    help="Cost- and hardware-aware placement and autotuning for federated learning.\n\n"
    "Plan per-endpoint samples and epochs from measured runtimes (delta plan), and keep "
    "the measurements in a local store (delta observe).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("plan")(plan.plan_command)
app.add_typer(observe.app, name="observe")
app.add_typer(prices.app, name="prices")


def main(argv: list[str] | None = None) -> None:
    """Entry point: translate domain errors into one line on stderr and exit code 2."""
    try:
        app(args=argv, prog_name="delta")
    except DeltaError as exc:
        print(f"delta: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("delta: interrupted", file=sys.stderr)
        sys.exit(130)
