"""The ``dupcheck`` command line (contract §5).

Every command maps a :class:`~dupcheck.errors.DupcheckError` to exit status 2 with one line per
problem on stderr and no traceback; heavy modules are imported inside the commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from dupcheck.errors import DupcheckError, ValidationError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Screen unemployment-benefit claims and refund applications for improper payments.",
)

F = TypeVar("F", bound=Callable[..., Any])

PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="TOML file overriding policy defaults")
]


def _fail(lines: list[str]) -> None:
    for line in lines:
        typer.echo(f"dupcheck: {line}", err=True)
    raise typer.Exit(2)


def _errors_to_exit(fn: F) -> F:
    """Turn dupcheck's own errors into exit 2 with one clear line per problem."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            _fail([str(p) for p in exc.problems] or [str(exc)])
        except DupcheckError as exc:
            _fail([str(exc)])
        except OSError as exc:
            _fail([f"{exc.filename or ''}: {exc.strerror or exc}"])
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug, not bad input: say so briefly, keep data out of it
            if os.environ.get("DUPCHECK_DEBUG"):
                raise
            typer.echo(
                f"dupcheck: internal error ({type(exc).__name__}); this is a bug, please report it. "
                "Set DUPCHECK_DEBUG=1 to see the traceback.",
                err=True,
            )
            raise typer.Exit(1) from None
        return None

    return wrapper  # type: ignore[return-value]


def _read_parquet(path: Path) -> Any:
    """A Parquet output of another dupcheck command; InputError when it cannot be read."""
    import polars as pl

    from dupcheck.errors import InputError

    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.ComputeError) as exc:
        raise InputError(f"{path}: cannot read Parquet ({type(exc).__name__})") from exc


def _policy(path: Path | None) -> Any:
    from dupcheck.policy import Policy

    return Policy.from_toml(path) if path else Policy()


@app.command()
@_errors_to_exit
def validate(data: Annotated[Path, typer.Argument(help="data folder")]) -> None:
    """Check a data folder against the contract and report every problem, changing nothing."""
    from dupcheck.io import validate as run_validate

    report = run_validate(data)
    for p in report.problems:
        typer.echo(str(p), err=True)
    typer.echo(report.summary())
    if report.fatal:
        raise typer.Exit(2)


@app.command()
@_errors_to_exit
def synth(
    out: Annotated[Path, typer.Argument(help="data folder to write (truth goes to OUT-truth)")],
    claims: Annotated[int, typer.Option(help="number of claims")] = 10_000,
    people: Annotated[int, typer.Option(help="number of people in the population")] = 200_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    csv_share: Annotated[float, typer.Option(help="share of tables written as CSV")] = 0.5,
) -> None:
    """Write a synthetic data folder with ground truth."""
    from dupcheck.synth import generate

    truth = generate(out, claims=claims, people=people, seed=seed, csv_share=csv_share)
    typer.echo(f"data: {out}\ntruth: {truth}")


@app.command()
@_errors_to_exit
def screen(
    data: Annotated[Path, typer.Argument(help="data folder")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    policy: PolicyOpt = None,
    csv: Annotated[bool, typer.Option("--csv", help="also write CSV copies")] = False,
    streaming: Annotated[bool, typer.Option(
        "--streaming", help="read tables in blocks and keep only the rows claims link to "
        "(provinces larger than memory); same decisions")] = False,
) -> None:
    """Screen every claim: decisions.parquet and findings.parquet."""
    if streaming:
        from dupcheck.partition import screen_partitioned

        result = screen_partitioned(data, _policy(policy))
    else:
        from dupcheck.screening import Screener

        result = Screener(_policy(policy)).run(data)
    result.write(out, csv=csv)
    typer.echo(result.summary_text())
    typer.echo(f"outputs: {out}")


@app.command()
@_errors_to_exit
def graph(
    data: Annotated[Path, typer.Argument(help="data folder")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    policy: PolicyOpt = None,
    findings: Annotated[
        Path | None,
        typer.Option("--findings", help="findings.parquet of `dupcheck screen` on the same data: "
                     "ties fuzzily linked records to claimants and ranks communities"),
    ] = None,
) -> None:
    """Dispatch-agency graph alerts: alerts.parquet and GraphML of the alert subgraphs."""
    from dupcheck.graph import analyze

    evidence = _read_parquet(findings) if findings else None
    result = analyze(data, policy=_policy(policy), evidence=evidence)
    result.write(out)
    typer.echo(result.summary_text())
    typer.echo(f"outputs: {out}")


@app.command()
@_errors_to_exit
def refund(
    data: Annotated[Path, typer.Argument(help="data folder")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    policy: PolicyOpt = None,
    alerts: Annotated[
        Path | None,
        typer.Option("--alerts", help="alerts.parquet of `dupcheck graph`: its SPLIT_ENTERPRISE "
                     "groups feed the refund decision"),
    ] = None,
) -> None:
    """Job-stabilization refund audit: refund_decisions.parquet and notice.csv."""
    from dupcheck.refund import audit

    graph_alerts = _read_parquet(alerts) if alerts else None
    result = audit(data, policy=_policy(policy), graph_alerts=graph_alerts)
    result.write(out)
    typer.echo(result.summary_text())
    typer.echo(f"outputs: {out}")


@app.command()
@_errors_to_exit
def demo(
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("demo-out"),
    claims: Annotated[int, typer.Option(help="claims in the synthetic province")] = 20_000,
    people: Annotated[int, typer.Option(help="people in the synthetic province")] = 400_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 2021,
) -> None:
    """Generate a synthetic province, screen it, print a summary and write a report."""
    from dupcheck.demo import run_demo

    run_demo(out, claims=claims, people=people, seed=seed, echo=typer.echo)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
