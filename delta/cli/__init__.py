"""The ``delta`` command line.

Heavy libraries (TensorFlow, boto3, the Globus SDK, scikit-learn) are imported inside the
commands that need them, so ``delta --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

from delta.cli import observe, plan, prices, profile, run, serve
from delta.errors import DeltaError

app = typer.Typer(
    name="delta",
    help="Cost- and hardware-aware placement and autotuning for federated learning.\n\n"
    "Plan a round without dispatching it (delta plan), run federated rounds that learn "
    "from every task (delta run), or serve plans to an FL controller over gRPC (delta "
    "serve). Measurements, spot prices and runtime profiles live in a local store "
    "(delta observe, delta prices, delta profile).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("plan")(plan.plan_command)
app.command("run")(run.run_command)
app.add_typer(observe.app, name="observe")
app.command("serve")(serve.serve_command)
app.add_typer(prices.app, name="prices")
app.add_typer(profile.app, name="profile")


def main(argv: list[str] | None = None) -> None:
    """Entry point: every user error becomes one line on stderr and exit code 2."""
    try:
        code = app(args=argv, prog_name="delta", standalone_mode=False)
    except typer.TyperException as exc:  # Typer's (vendored Click) usage errors
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())
            sys.exit(0)
        cmd = ctx.command_path if ctx is not None else "delta"
        print(f"delta: error: {cmd}: {exc.format_message()} (see '{cmd} --help')",
              file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2) or 2)
    except DeltaError as exc:
        print(f"delta: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        print("delta: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
