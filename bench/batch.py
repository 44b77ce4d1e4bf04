"""Batch benchmark: a generated register of a million people, decided in whole processes.

    .venv/bin/python bench/batch.py                # 1,000,000 rows, each run once
    .venv/bin/python bench/batch.py --repeat 3     # best of three of each
    .venv/bin/python bench/batch.py --big          # and peak memory for 10,000,000 rows
    .venv/bin/python bench/batch.py --repeat 5 --against ../main   # and another checkout's

Prints, from one run each (timings vary by machine; no assertions):

- Parquet and CSV: the `eligibility batch` command in a subprocess (all five programmes, ID
  numbers checked and masked, reasons as codes with their legend, the default) against polars
  merely reading the same file and writing it back in a subprocess of its own (the floor any
  batch run pays), and the ratio (the goal is within 2x); each is run `--repeat` times,
  alternating, and the best of each is compared (a shared machine is noisy);
- with `--against DIR`: another checkout's `eligibility batch` (its own `.venv`) run in turn
  with this one's on the same files, its best and this one's over it (a change's own effect,
  on a machine too busy for the ratio to polars to be compared across runs);
- the CSV output's size over the input's (the goal is within 4x with codes), and with
  `--text` the same for worded reasons;
- XLSX: the results of the first `--xlsx-rows` rows written by the batch's XLSX writer
  (rust_xlsxwriter) and by xlsxwriter cell by cell (the previous writer), and the ratio;
- `row by row`: `determine` per applicant, measured on a sample and extrapolated to all rows
  (said so in the output), against the batch's Parquet run;
- with `--big`: a 10,000,000-row register processed in chunks in a child process, its time and
  its peak resident memory (`ru_maxrss` of the child), to show memory stays bounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from batch.columns import parse_chunk, plan_columns
from eligibility.determination import determine
from eligibility.facts import applicant_from_paths
from eligibility.identity import CHECK_WEIGHTS
from eligibility.policy import load_bundled

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2024, 11, 5)
POLICIES = load_bundled()
# Counties with local tables and without; most rows of a county register carry a county code.
COUNTIES = ["140821", "620823", "451226", "510121", "520181", "230124", "410581", "610112"]
WORK_PLACES = [*COUNTIES, "330106", "440305", "140802", "620802", "310115", None]


def _pick(seed: int, values: list[Any], unknown_share: int = 10) -> pl.Expr:
    """A pseudo-random choice per row (about `unknown_share` % unknown)."""
    index = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed)
    chosen = (index % len(values)).cast(pl.Int64).replace_strict(dict(enumerate(values)))
    return pl.when(index % 100 < unknown_share).then(None).otherwise(chosen)


def _int(seed: int, low: int, high: int, unknown_share: int = 10) -> pl.Expr:
    index = pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed)
    value = (index // 7 % (high - low + 1)).cast(pl.Int64) + low
    return pl.when(index % 100 < unknown_share).then(None).otherwise(value)


def _words(path: str) -> list[str]:
    return [o.zh for o in POLICIES.facts[path].options]


def register_chunk(start: int, rows: int) -> pl.DataFrame:
    """`rows` people from number `start`: Chinese headers, Chinese words, ID numbers."""
    base = pl.DataFrame({"n": pl.int_range(start, start + rows, eager=True)})
    born = pl.date(1950, 1, 1) + pl.duration(days=(pl.col("n").hash(1) % 25_000).cast(pl.Int64))
    region = (
        (pl.col("n").hash(2) % len(COUNTIES))
        .cast(pl.Int64)
        .replace_strict(dict(enumerate(COUNTIES)))
    )
    first17 = pl.concat_str(
        region, born.dt.strftime("%Y%m%d"), (pl.col("n") % 1000).cast(pl.String).str.zfill(3)
    )
    total = cast(
        pl.Expr,
        sum(
            first17.str.slice(i, 1).cast(pl.Int64) * weight
            for i, weight in enumerate(CHECK_WEIGHTS)
        ),
    )
    check = (total % 11).replace_strict(dict(enumerate("10X98765432")), return_dtype=pl.String)
    frame = base.select(
        ("村民" + pl.col("n").cast(pl.String)).alias("姓名"),
        ("H" + (pl.col("n") // 3).cast(pl.String).str.zfill(8)).alias("户编号"),
        pl.concat_str(first17, check).alias("身份证号"),
        region.alias("户籍所在地区划代码"),
        _pick(3, _words("household.category"), 2).alias("户类型"),
        _pick(4, [True, False], 40).alias("风险已消除"),
        _pick(5, _words("person.labor_capacity")).alias("劳动能力"),
        _pick(6, [True, True, True, False]).alias("完全民事行为能力"),
        _pick(7, [False, False, False, True]).alias("重大不良信用记录"),
        _pick(8, [False, False, True]).alias("小额信贷逾期"),
        _int(9, 0, 60_000, 30).alias("小额信贷未还余额"),
        _pick(10, _words("loan_request.purpose"), 50).alias("贷款用途"),
        _int(11, 1_000, 80_000, 50).alias("申请金额"),
        _int(12, 6, 48, 50).alias("期限(月)"),
        _pick(13, _words("person.employment.status")).alias("就业状态"),
        _pick(14, WORK_PLACES, 30).alias("务工地区划代码"),
        _int(15, 0, 12, 30).alias("连续务工月数"),
        _pick(16, [False, False, True], 20).alias("本年已领交通补贴"),
        _pick(17, [False, True], 30).alias("有组织输转"),
        _pick(18, [True, False], 20).alias("有就业意愿"),
        _pick(19, [True, False], 20).alias("能外出务工"),
        _pick(20, [False, False, True], 20).alias("已在公益性岗位"),
        _pick(21, _words("person.education.level"), 40).alias("就读层次"),
        _pick(22, [True, True, False], 40).alias("全日制"),
        _pick(23, [True, True, False], 40).alias("已注册学籍"),
        _pick(24, [False, False, True], 40).alias("休学/保留学籍"),
        _int(25, 2_000, 20_000, 20).alias("上年人均纯收入"),
        _int(26, 2_000, 20_000, 30).alias("前年人均纯收入"),
        _pick(27, _words("household.sudden_hardship_event"), 30).alias("突发困难"),
    )
    return frame


def make_register(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    """Write the register in row groups, never holding more than one chunk."""
    import pyarrow.parquet as pq

    writer = None
    for start in range(0, rows, chunk):
        table = register_chunk(start, min(chunk, rows - start)).to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=100_000)
    assert writer is not None
    writer.close()


def timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def row_by_row_seconds_per_row(source: Path, sample: int) -> float:
    """`determine` per applicant on the first `sample` rows (facts already parsed)."""
    raw = pl.read_parquet(source, n_rows=sample)
    plan = plan_columns(raw.columns, POLICIES)
    parsed = parse_chunk(raw, plan, POLICIES, as_of=AS_OF)
    rows = list(parsed.facts.iter_rows(named=True))
    start = time.perf_counter()
    for row in rows:
        determine(applicant_from_paths(row), POLICIES, today=AS_OF)
    return (time.perf_counter() - start) / sample


def decide_in_child(source: Path, output: Path) -> tuple[int, float, int]:
    """Rows, seconds and peak resident memory (KiB) of `run_batch` alone, in a fresh process."""
    code = (
        "import sys, datetime as dt, time, resource; from pathlib import Path;"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r});"
        "from batch.run import BatchOptions, run_batch;"
        "t = time.perf_counter();"
        f"r = run_batch(Path({str(source)!r}), Path({str(output)!r}),"
        " BatchOptions(as_of=dt.date(2024, 11, 5)));"
        "print(r.rows, time.perf_counter() - t,"
        " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows, seconds, max_kb = done.stdout.split()
    return int(rows), float(seconds), int(max_kb)


def big(folder: Path, rows: int, small: Path) -> None:
    """Peak memory of a child process deciding a `rows`-row register in chunks, beside that of
    one deciding the small register: bounded memory means the two are close."""
    small_rows, _, small_kb = decide_in_child(small, folder / "small-out.parquet")
    source = folder / "big.parquet"
    print(f"generating {rows:,} rows …", flush=True)
    make_register(source, rows)
    print(f"  {source.stat().st_size / 1e6:,.0f} MB of Parquet", flush=True)
    decided, seconds, max_kb = decide_in_child(source, folder / "big-out.parquet")
    (folder / "big-out.parquet").unlink()
    print(
        f"big: {decided:,} rows in {seconds:.1f} s ({decided / seconds:,.0f} rows/s); "
        f"peak memory (ru_maxrss of the child) {max_kb / 1024:,.0f} MB, "
        f"against {small_kb / 1024:,.0f} MB for {small_rows:,} rows"
    )


def command(source: Path, output: Path, *extra: str, checkout: Path | None = None) -> list[str]:
    """`eligibility batch` as a person runs it (that of another `checkout`, if given)."""
    script = (
        Path(sys.executable).with_name("eligibility")
        if checkout is None
        else checkout / ".venv" / "bin" / "eligibility"
    )
    entry = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())"]
    )
    return [
        *entry,
        "batch",
        str(source),
        "--out",
        str(output),
        "--as-of",
        AS_OF.isoformat(),
        "--no-progress",
        *extra,
    ]


def floor_command(source: Path, output: Path) -> list[str]:
    """Polars reading the file and writing it back, in a process of its own."""
    kind = source.suffix.lstrip(".")
    code = f"import sys, polars as pl; pl.read_{kind}(sys.argv[1]).write_{kind}(sys.argv[2])"
    return [sys.executable, "-c", code, str(source), str(output)]


def run_process(args: list[str], cwd: Path = ROOT) -> float:
    """Seconds the process took, start to exit (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def compare(
    label: str,
    ours: list[str],
    floor: list[str],
    repeat: int,
    theirs: tuple[list[str], Path] | None = None,
) -> float:
    """The processes `repeat` times, in turn; print the best of each and the ratios.

    `theirs`: another checkout's command and folder, run after ours each time."""
    floors: list[float] = []
    batches: list[float] = []
    others: list[float] = []
    for _ in range(repeat):
        floors.append(run_process(floor))
        batches.append(run_process(ours))
        if theirs is not None:
            others.append(run_process(*theirs))
    best_floor, best = min(floors), min(batches)
    print(
        f"{label}: batch {best:6.2f} s, polars read+write {best_floor:6.2f} s "
        f"= {best / best_floor:.2f}x  (runs: batch {' '.join(f'{t:.2f}' for t in batches)}; "
        f"polars {' '.join(f'{t:.2f}' for t in floors)})",
        flush=True,
    )
    if others:
        print(
            f"{'':{len(label)}}  --against {min(others):6.2f} s = {min(others) / best_floor:.2f}x; "
            f"this one {best / min(others):.3f} of it  "
            f"(runs: {' '.join(f'{t:.2f}' for t in others)})",
            flush=True,
        )
    return best


def xlsx_ratio(decided: Path, rows: int, folder: Path) -> None:
    """The batch's XLSX writer against xlsxwriter writing the same results cell by cell."""
    import contextlib

    import xlsxwriter

    from batch.writers import open_writer

    frame = pl.read_parquet(decided, n_rows=rows)
    chunks = [frame.slice(start, 100_000) for start in range(0, frame.height, 100_000)]
    summary = pl.DataFrame({"项目": ["x"], "合计": [1]})

    def ours() -> None:
        with contextlib.ExitStack() as stack:
            writer = open_writer(".xlsx", folder / "ours.xlsx", "zh", stack)
            for chunk in chunks:
                writer.write(chunk)
            writer.finish(summary, None)

    def theirs() -> None:
        # The previous writer: constant memory, one typed write per cell.
        book = xlsxwriter.Workbook(str(folder / "theirs.xlsx"), {"constant_memory": True})
        sheet = book.add_worksheet("结果")
        sheet.write_row(0, 0, frame.columns)
        row = 1
        for chunk in chunks:
            text = chunk.with_columns(
                pl.col(c).cast(pl.String)
                for c, d in chunk.schema.items()
                if not (d.is_numeric() or d == pl.String)
            )
            writers = [
                sheet.write_number if d.is_numeric() else sheet.write_string for d in text.dtypes
            ]
            for values in text.iter_rows():
                for column, value in enumerate(values):
                    if value is not None:
                        writers[column](row, column, value)
                row += 1
        sheet = book.add_worksheet("汇总")
        sheet.write_row(0, 0, summary.columns)
        book.close()

    mine, old = timed(ours), timed(theirs)
    print(
        f"xlsx ({frame.height:,} rows of results): rust_xlsxwriter {mine:.2f} s "
        f"({frame.height / mine:,.0f} rows/s), xlsxwriter {old:.2f} s "
        f"({frame.height / old:,.0f} rows/s) = {old / mine:.1f}x faster"
    )


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the row-by-row run")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--xlsx-rows", type=int, default=200_000, help="rows for the XLSX run")
    parser.add_argument("--text", action="store_true", help="also CSV with worded reasons")
    parser.add_argument("--big", action="store_true", help="also 10,000,000 rows, peak memory")
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument(
        "--against", type=Path, help="another checkout (with its .venv) to run in turn with this"
    )
    args = parser.parse_args()
    against: Path | None = args.against.resolve() if args.against else None
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as name:
        folder = Path(name)
        source = folder / "register.parquet"
        make_register(source, args.rows)
        csv_source = folder / "register.csv"
        pl.scan_parquet(source).sink_csv(csv_source)
        csv_size = csv_source.stat().st_size
        print(
            f"register: {args.rows:,} rows, {source.stat().st_size / 1e6:,.1f} MB Parquet, "
            f"{csv_size / 1e6:,.1f} MB CSV",
            flush=True,
        )
        out = folder / "out.parquet"
        ours = compare(
            "parquet",
            command(source, out),
            floor_command(source, folder / "copy.parquet"),
            args.repeat,
            None
            if against is None
            else (command(source, folder / "theirs.parquet", checkout=against), against),
        )
        csv_out = folder / "out.csv"
        compare(
            "csv, codes",
            command(csv_source, csv_out),
            floor_command(csv_source, folder / "copy.csv"),
            args.repeat,
            None
            if against is None
            else (command(csv_source, folder / "theirs.csv", checkout=against), against),
        )
        if against is not None:
            (folder / "theirs.parquet").unlink()
            (folder / "theirs.csv").unlink()
        print(
            f"csv output, codes: {csv_out.stat().st_size / 1e6:,.1f} MB "
            f"= {csv_out.stat().st_size / csv_size:.2f}x the input's size"
        )
        csv_out.unlink()
        if args.text:
            text_out = folder / "text.csv"
            run_process(command(csv_source, text_out, "--reasons", "text"))
            print(
                f"csv output, text:  {text_out.stat().st_size / 1e6:,.1f} MB "
                f"= {text_out.stat().st_size / csv_size:.2f}x the input's size"
            )
            text_out.unlink()
        xlsx_ratio(out, min(args.xlsx_rows, args.rows), folder)
        per_row = row_by_row_seconds_per_row(source, args.sample)
        row_total = per_row * args.rows
        print(
            f"row by row:        {row_total:6.2f} s  (determine per row, measured on "
            f"{args.sample:,} rows and extrapolated)  = {row_total / ours:.1f}x the batch command"
        )
        if args.big:
            big(folder, args.big_rows, source)


if __name__ == "__main__":
    main()
