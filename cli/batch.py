"""`eligibility batch`: decide a whole register (CSV, XLSX or Parquet) into an export file."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from batch.run import (
    DEFAULT_CHUNK_ROWS,
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    REASONS,
    BatchInputError,
    BatchOptions,
    run_batch,
)
from eligibility.policy_file import PolicyError
from eligibility.regions import RegionCodeError, known_region_code


def register(commands: Any) -> None:
    """Add `batch`."""
    batch = commands.add_parser(
        "batch",
        help="decide every row of a register (CSV, XLSX, Parquet) into an export file",
        description="Reads a register whose columns are glossary facts (household.category) or "
        "their Chinese headers (户类型), and writes one row per input row with each programme's "
        "verdict, amount, reasons and missing facts.  Formats follow the file extensions: "
        f"input {', '.join(INPUT_FORMATS)}; output {', '.join(OUTPUT_FORMATS)}.",
    )
    batch.add_argument("input", type=Path, help="the register")
    batch.add_argument("--out", "-o", type=Path, required=True, help="the output file")
    batch.add_argument("--programme", action="append", help="only this programme (repeatable)")
    batch.add_argument(
        "--as-of", type=dt.date.fromisoformat, help="date for rows without 评估日期 (default today)"
    )
    batch.add_argument(
        "--region-default", help="GB/T 2260 code for rows without 户籍所在地区划代码"
    )
    batch.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the words")
    batch.add_argument(
        "--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, help="rows decided at a time"
    )
    batch.add_argument(
        "--workers",
        type=int,
        default=None,
        help="chunks decided at once, in threads (default: one per core, and one more)",
    )
    batch.add_argument(
        "--reasons",
        choices=REASONS,
        default="codes",
        help="each programme's reasons as criterion codes with a legend (the XLSX sheet 代码说明, "
        "or <out>.legend.csv beside other formats), as text, or none (default: codes)",
    )
    batch.add_argument(
        "--sheet",
        help="XLSX: the sheet to read, by name or number from 1 (default: the one with the "
        "known headers)",
    )
    batch.add_argument(
        "--household-plan",
        action="store_true",
        help="also plan each household (rows grouped by 户编号): yearly total, one checklist, "
        "dates; a 户计划 sheet in XLSX, else <out>.households.csv",
    )
    batch.add_argument(
        "--what-if",
        action="store_true",
        help="also give each programme's best suggestion of what would change its answer "
        "(a <programme>.what_if column)",
    )
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(run=run_batch_command)


class _RowsPerSecond(ProgressColumn):
    """Rows per second, the way a clerk reads a long run."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} 行/秒 rows/s", style="cyan")


def _fail(message: str) -> int:
    print(f"eligibility: {message}", file=sys.stderr)
    return 2


def run_batch_command(args: argparse.Namespace) -> int:
    """Run the batch; exit 2 on input that cannot be read or options that make no sense."""
    region = args.region_default
    if args.workers is not None and args.workers < 1:
        return _fail("--workers must be at least 1")
    if region is not None:
        try:
            region = known_region_code(region)
        except RegionCodeError as exc:
            return _fail(f"--region-default {exc}")
    options = BatchOptions(
        as_of=args.as_of or dt.date.today(),
        programmes=args.programme,
        region_default=region,
        lang=args.lang,
        chunk_rows=args.chunk_rows,
        workers=args.workers,
        reasons=args.reasons,
        sheet=args.sheet,
        household_plan=args.household_plan,
        what_if=args.what_if,
    )
    console = Console(stderr=True)
    show = console.is_terminal and not args.no_progress
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
    )
    task = progress.add_task(args.input.name, total=None)

    def advance(done: int, total: int | None) -> None:
        progress.update(task, completed=done, total=total)

    def note(text: str) -> None:
        console.print(f"[yellow]注意 note:[/] {text}", highlight=False, soft_wrap=True)

    try:
        with progress:
            # Without a bar to show, the rows are not counted ahead (a pass over a CSV file).
            shown = advance if show else None
            result = run_batch(args.input, args.out, options, progress=shown, notes=note)
    except BatchInputError as exc:
        return _fail(str(exc))
    except PolicyError as exc:
        return _fail(f"policy refused: {exc}")
    except KeyboardInterrupt:
        console.print("interrupted: nothing was written under " + str(args.out))
        return 130

    out = Console()
    table = Table(title=f"{result.rows} rows → {result.output}", show_lines=False)
    for column in result.summary.columns:
        table.add_column(
            column, justify="left" if column in result.summary.columns[:2] else "right"
        )
    for values in result.summary.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in values))
    if args.out.suffix.lower() != ".xlsx":
        out.print(table)
        if result.summary_path is not None:
            out.print(f"summary written to {result.summary_path}")
        if result.legend_path is not None:
            out.print(f"reason codes spelled out in {result.legend_path}")
        if result.households_path is not None:
            out.print(f"household plans written to {result.households_path}")
    else:
        out.print(f"{result.rows} rows → {result.output} (汇总 sheet: summary)")
    if result.error_rows:
        console.print(
            f"[red]{result.error_rows} rows have bad data[/]: see the `error` column "
            "(their verdicts are left empty)"
        )
    return 0
