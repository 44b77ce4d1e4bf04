"""Register columns: which header is which fact, and raw cell values parsed into typed facts.

A register's headers are the glossary's dotted fact names (`household.category`) or the Chinese
headers of the fact catalogue (`户类型`); any other header is an identifying column (姓名, 户编号)
carried through to the output untouched.  Values are parsed column by column with polars:
booleans accept true/false, 是/否, 1/0; enum values their English names or the Chinese words of
the catalogue's options; numbers must be whole and within the catalogue's bounds.  A value that
does not parse leaves that fact unknown and gives the row an error naming the field and the
value, so that one bad cell never stops the other rows.

ID numbers are checked with `eligibility.identity` and never leave this module in clear: the
output carries the masked form, and error messages show the masked form too.
"""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, reduce

import polars as pl

from eligibility import identity
from eligibility.as_of_range import as_of_range
from eligibility.birth import (
    EARLIEST_BIRTH_DATE,
    age_conflicts_in,
    age_on,
    age_problem,
    birth_date_problem,
)
from eligibility.catalogue import FactSpec
from eligibility.columnar import IN_MEMORY, KIND_DTYPES, household_status_conflict
from eligibility.derive import AGE, BIRTH_DATE, age_from_birth_in
from eligibility.facts import STATUS_FIELDS
from eligibility.identity import IdentityNumberError, parse_identity_number
from eligibility.places import region_code_of
from eligibility.programme import PolicySet
from eligibility.regions import is_region_code, known_region_codes_in, region_codes_in
from eligibility.text import Lang

# Cells that mean "not known" in registers, besides empty ones.  (`none` is an enum value.)
UNKNOWN_WORDS = ("", "未知", "不详", "不清楚", "null", "n/a", "-")
TRUE_WORDS = ("true", "是", "1", "yes", "y", "t", "对")
FALSE_WORDS = ("false", "否", "0", "no", "n", "f", "不是")
# Headers naming a township: when present, the summary counts by it instead of by county.
TOWNSHIP_HEADERS = ("乡镇", "乡镇（街道）", "乡镇(街道)", "乡（镇）", "乡镇名称", "township")
ID_PATH = "person.id_number"
AS_OF = "as_of"
REGION = "region_code"

_MESSAGES: dict[str, dict[Lang, str]] = {
    "int": {"zh": "不是整数", "en": "is not a whole number"},
    "range": {"zh": "超出范围 {low}–{high}", "en": "is out of range {low}–{high}"},
    "bool": {"zh": "不是 是/否（true/false、1/0）", "en": "is not true/false, 是/否 or 1/0"},
    "enum": {"zh": "不是可选值之一：{options}", "en": "is not one of: {options}"},
    "date": {"zh": "不是日期（年-月-日）", "en": "is not a date (YYYY-MM-DD)"},
    "region": {
        "zh": "不是现行的2、4或6位区划代码（撤并前的旧代码请换成现在的），也不是唯一的地名"
        "（重名的请带上省、市，如 石家庄新华区）",
        "en": "is not a 2, 4 or 6 digit region code in use today (replace a code retired in a "
        "merger by today's), nor the name of one place (add the province or prefecture to a "
        "shared name, e.g. 石家庄新华区)",
    },
    "birth": {
        "zh": "与身份证号中的出生日期不一致",
        "en": "does not match the birth date in the ID number",
    },
    "status": {
        "zh": "与本行的户类型或监测对象类型矛盾，请改成一致或只填一项",
        "en": "contradicts the household category or monitoring type in the same row",
    },
    # A row that is no person (`not_a_person`): kept in its place, decided for nobody.
    "blank": {"zh": "这一行是空的，没有判断", "en": "the row is empty: nothing decided"},
    "total": {
        "zh": "这是合计（小计）行，不是一个人，没有判断",
        "en": "this is a total (subtotal) row, not a person: nothing decided",
    },
    # Two columns of one fact (`ColumnPlan.alternates`); `pl.format` fills the {}.
    "disagree": {
        "zh": "列“{}”是“{}”，列“{}”是“{}”，两列不一致，请改成一致或只填一列",
        "en": "column “{}” says “{}” but column “{}” says “{}”: make them agree or fill one",
    },
}
STATUS_COLUMNS = ("household.category", *(f"household.{name}" for name in STATUS_FIELDS))
_ID_MESSAGES: dict[str, str] = {
    "must be 17 digits followed by a digit or X": "应为17位数字加1位数字或X",
    "contains an impossible birth date": "出生日期不存在",
    "check digit does not match": "校验位不对",
}


def normalise_header(header: str) -> str:
    """The form headers are compared in: NFKC (full-width brackets become ASCII), no spaces,
    lower case."""
    return "".join(unicodedata.normalize("NFKC", header).split()).lower()


@dataclass(frozen=True)
class ColumnPlan:
    """How a register's headers map onto facts."""

    facts: dict[str, str]  # input header -> fact path
    carried: list[str]  # headers that are not facts: identifying columns, in input order
    township: str | None  # the township column, if there is one
    notes: list[str] = field(default_factory=list)  # to report once (stderr / job notes)
    # A second column of a fact already read (户籍所在地 beside 户籍所在地区划代码) -> its fact:
    # read too, and used in each row where the first is blank; a row where both are filled
    # and disagree is the row's error.
    alternates: dict[str, str] = field(default_factory=dict)
    # What `parse_chunk` works out once per column and reuses chunk after chunk: the parsing
    # expressions, and the cells of repetitive columns already parsed.
    cache: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)


def known_headers(policies: PolicySet) -> dict[str, str]:
    """Every header a fact may have (dotted name or Chinese header), normalised, to its fact."""
    known: dict[str, str] = {}
    for path, spec in policies.facts.items():
        known[normalise_header(path)] = path
        known[normalise_header(spec.header_zh)] = path
        for header in spec.also_headers:
            known[normalise_header(header)] = path
    return known


def plan_columns(headers: Sequence[str], policies: PolicySet, lang: Lang = "zh") -> ColumnPlan:
    """Match each header to a fact by dotted name or Chinese header; the rest are carried."""
    known = known_headers(policies)
    facts: dict[str, str] = {}
    carried: list[str] = []
    notes: list[str] = []
    seen: dict[str, str] = {}
    duplicates: set[str] = set()
    alternates: dict[str, str] = {}
    for header in headers:
        found = known.get(normalise_header(header))
        if found is None:
            carried.append(header)
            continue
        path = found
        if path in seen:
            carried.append(header)
            duplicates.add(header)
            if path == ID_PATH:
                notes.append(
                    f"列“{header}”与“{seen[path]}”都是 {path}，只用“{seen[path]}”"
                    if lang == "zh"
                    else f"columns {header!r} and {seen[path]!r} are both {path}; "
                    f"using {seen[path]!r}"
                )
                continue
            alternates[header] = path
            notes.append(
                f"列“{header}”与“{seen[path]}”都是 {path}：用“{seen[path]}”，它空着的行用"
                f"“{header}”，两列不一致的行报错"
                if lang == "zh"
                else f"columns {header!r} and {seen[path]!r} are both {path}: {seen[path]!r} "
                f"is used, {header!r} where it is blank, and a row where they disagree is an "
                "error"
            )
        else:
            facts[header] = path
            seen[path] = header
    township = next(
        (
            h
            for h in carried
            if normalise_header(h) in {normalise_header(t) for t in TOWNSHIP_HEADERS}
        ),
        None,
    )
    unknown = [h for h in carried if h not in duplicates]
    if unknown:
        listed = ", ".join(unknown)
        notes.insert(
            0,
            f"这些列不是已知的事实，按标识列原样带到结果：{listed}"
            if lang == "zh"
            else f"columns not recognised as facts, carried through as identifying columns: "
            f"{listed}",
        )
    return ColumnPlan(
        facts=facts, carried=carried, township=township, notes=notes, alternates=alternates
    )


@dataclass(frozen=True)
class ParsedChunk:
    """One chunk of a register, parsed."""

    facts: pl.DataFrame  # fact columns by dotted path, typed; `as_of` and `region_code` set
    carried: pl.DataFrame  # identifying columns as read, the ID number column masked
    errors: pl.Series  # per row: what is wrong with it (String), or null


def parse_chunk(
    raw: pl.DataFrame,
    plan: ColumnPlan,
    policies: PolicySet,
    *,
    as_of: dt.date,
    region_default: str | None = None,
    lang: Lang = "zh",
) -> ParsedChunk:
    """Typed facts, carried columns and per-row errors for one chunk of raw register rows."""
    texts: list[pl.Expr] = []
    parsed: list[pl.Expr] = []
    finals: list[pl.Expr] = []
    errors: list[tuple[pl.Expr, pl.Expr]] = []
    id_header: str | None = None
    read_as_ints: list[pl.Series] = []
    columns = [(h, p, p) for h, p in plan.facts.items()]
    columns += [(h, p, _alternate(h)) for h, p in plan.alternates.items()]
    for header, path, target in columns:
        if path == ID_PATH:
            id_header = header
            continue
        spec = policies.facts[path]
        dtype = raw.schema[header]
        i = len(finals)
        column_key = (header, dtype, i, lang, id(policies))
        steps = plan.cache.get(("steps", *column_key))
        if steps is None:
            steps = _column_steps(header, dtype, spec, i, lang)
            plan.cache[("steps", *column_key)] = steps
        assert isinstance(steps, tuple)
        if isinstance(dtype, pl.Categorical) and steps[0] is not None:
            # Read as categorical (`few_valued_headers`): parse each category once, ever.
            with _CATEGORIES_LOCK:
                seen = plan.cache.get(("categories", *column_key))
                assert seen is None or isinstance(seen, pl.DataFrame)
                final, error, seen = _parsed_categories(
                    dtype.categories, header, steps, KIND_DTYPES[spec.kind], seen
                )
                plan.cache[("categories", *column_key)] = seen
            finals.append(final.alias(target))
            if error is not None:
                errors.append(error)
            continue
        if spec.kind == "int" and dtype == pl.String:
            as_read = raw[header].cast(pl.Int64, strict=False)
            if as_read.null_count() == raw[header].null_count():
                # Every cell is a whole number as it stands, the usual case: what polars'
                # integer parser reads has no spaces to strip and is no word for "not known",
                # so it is taken as read and only the bounds are checked (the message shows the
                # cell itself, as the full parse would).  A column with any other cell is parsed
                # in full below.
                name = f"__int{i}"
                read_as_ints.append(as_read.alias(name))
                final, error = _bounded(pl.col(name), pl.col(header), spec, lang)
                finals.append(final.alias(target))
                if error is not None:
                    errors.append(error)
                continue
        distinct = raw[header].drop_nulls().unique() if steps[0] is not None else None
        if distinct is not None and (distinct.len() <= 256 or distinct.len() * 8 <= raw.height):
            # Few distinct cells (categories, yes/no, codes): parse each once, then look it up.
            known = plan.cache.get(("cells", *column_key))
            assert known is None or isinstance(known, pl.DataFrame)
            final, error, known = _parsed_once(
                distinct, header, steps, KIND_DTYPES[spec.kind], known
            )
            if known.height <= 4096:  # keep what is parsed for the next chunks, if few
                plan.cache[("cells", *column_key)] = known
            finals.append(final.alias(target))
            if error is not None:
                errors.append(error)
            continue
        text, value, final, error = steps
        if text is not None:
            texts.append(text)
        parsed.append(value)
        finals.append(final.alias(target))
        if error is not None:
            errors.append(error)
    # Cleaned text, then values, then final values and errors: each step reads the one before.
    # (The row number keeps the frame's height even when no column is a fact.)
    # Only whether a row has an error is worked out for every row; the messages (text for each
    # bad cell) only for the rows that have one, usually none or a few.
    stepped = raw.lazy().with_columns(*read_as_ints, *texts).with_columns(parsed)
    any_bad = pl.any_horizontal(bad for bad, _ in errors) if errors else pl.lit(False)
    steps_frame = stepped.select(
        pl.int_range(pl.len()).alias("__row"), *finals, any_bad.alias("__bad")
    ).collect(engine=IN_MEMORY)
    error_series = pl.repeat(None, raw.height, dtype=pl.String, eager=True).alias("__errors")
    bad_rows = steps_frame["__row"].filter(steps_frame["__bad"])
    if bad_rows.len():
        messages = (
            stepped.with_row_index("__row")
            .filter(pl.col("__row").is_in(bad_rows.implode()))
            .select(
                _joined([message.alias(f"__error{n}") for n, (_, message) in enumerate(errors)])
            )
            .collect(engine=IN_MEMORY)
            .to_series()
        )
        error_series = error_series.scatter(bad_rows, messages)
    frame = steps_frame.drop("__bad")
    extra_errors: list[pl.Series] = []
    for header, path in plan.alternates.items():
        frame, disagree = _with_alternate(frame, raw, plan, header, path, policies, lang)
        extra_errors.append(disagree)

    kept = {header: raw[header] for header in plan.carried}
    # Birth dates to check against each row's as_of: the fact's, and the ID number's.
    births: list[tuple[str, pl.Series, pl.Series]] = []
    if "person.birth_date" in frame.columns:
        birth = frame["person.birth_date"]
        births.append(("person.birth_date", birth, birth.cast(pl.String)))
    if id_header is not None:
        numbers, masked, id_errors, from_id = _identity_numbers(raw[id_header], lang)
        frame = frame.with_columns(numbers.alias(ID_PATH))
        kept[id_header] = masked.alias(id_header)
        extra_errors.append(id_errors)
        births.append((ID_PATH, from_id, masked))
        if "person.birth_date" in frame.columns:
            birth = frame["person.birth_date"]
            clash = (birth.is_not_null() & from_id.is_not_null() & (birth != from_id)).fill_null(
                False
            )
            label = _label("person.birth_date", policies, lang)
            extra_errors.append(
                pl.select(
                    pl.when(pl.lit(clash)).then(pl.lit(f"{label}: {_MESSAGES['birth'][lang]}"))
                ).to_series()
            )
    given_status = [c for c in STATUS_COLUMNS if c in frame.columns]
    if len(given_status) > 1:
        # 户类型 and the status facts may both be given; a row where they disagree is an error,
        # never a silent pick of one (the row path refuses such an applicant the same way).
        status = frame.select(given_status).with_columns(
            pl.lit(None, dtype=KIND_DTYPES[policies.facts[c].kind]).alias(c)
            for c in STATUS_COLUMNS
            if c not in given_status
        )
        conflict = status.select(household_status_conflict()).to_series()
        if conflict.null_count() < conflict.len():
            message = _MESSAGES["status"][lang]
            extra_errors.append(
                conflict.replace_strict(
                    {
                        name: f"{_label(f'household.{name}', policies, lang)}: {message}"
                        for name in STATUS_FIELDS
                    },
                    default=None,
                    return_dtype=pl.String,
                )
            )
    # Identifying columns in the input's order, the ID number (masked) where it stood.
    carried = pl.DataFrame([kept[h] for h in raw.columns if h in kept])

    # The assessment date: the row's own, else the run's.  The region: the row's, else the default.
    if AS_OF in frame.columns:
        frame = frame.with_columns(pl.col(AS_OF).fill_null(as_of))
    else:
        frame = frame.with_columns(pl.lit(as_of, dtype=pl.Date).alias(AS_OF))
    if REGION not in frame.columns:
        frame = frame.with_columns(pl.lit(region_default, dtype=pl.String).alias(REGION))
    elif region_default is not None:
        frame = frame.with_columns(pl.col(REGION).fill_null(region_default))

    for path, birth, shown in births:
        extra_errors.append(_impossible_births(path, birth, shown, frame[AS_OF], policies, lang))
    dates_error, outside = _dates_not_answered(frame[AS_OF], policies, lang)
    if outside.any():
        # The row gets its error and no verdict; decided on the run's date meanwhile, so that
        # no plan is built for a year nobody may ask about.
        extra_errors.append(dates_error)
        frame = frame.with_columns(
            pl.when(pl.lit(outside)).then(pl.lit(as_of)).otherwise(pl.col(AS_OF)).alias(AS_OF)
        )
    if AGE in frame.columns and births:
        extra_errors.append(_ages_not_of_births(frame, policies, lang))

    frame = frame.drop("__row")
    extra = [e for e in extra_errors if e.null_count() < e.len()]
    if extra:
        parts = [error_series, *extra]
        error_series = (
            pl.DataFrame([part.alias(f"__{i}") for i, part in enumerate(parts)])
            .select(_joined([pl.col(f"__{i}") for i in range(len(parts))]))
            .to_series()
        )
    return ParsedChunk(facts=frame, carried=carried, errors=error_series.alias("error"))


_TOTAL_WORDS = (
    "合计",
    "小计",
    "总计",
    "合 计",
    "小 计",
    "总 计",
    "合计：",
    "Total",
    "TOTAL",
    "total",
    "Subtotal",
    "subtotal",
)


def not_a_person(raw: pl.DataFrame, lang: Lang) -> pl.Series:
    """Per row, the error of a row that is no person, else null: every cell blank (a gap in
    the sheet), or a cell that says 合计/小计/总计 (a register's total row).  Such a row was
    decided as someone whose facts are all unknown and counted as 待补充信息 (review of
    2026-12-04); it keeps its place, so rows still line up with the register's."""
    none = pl.Series("not_a_person", [None] * raw.height, dtype=pl.String)
    if not raw.width:
        return none
    # Cheap on a million rows: the readers give a blank cell as null, so a blank row is null
    # in its first column, looked at alone first; the word of a total row stands as typed in
    # one of the first columns (户编号, 姓名, 乡镇), where registers put it.
    candidates = raw[raw.columns[0]].is_null()
    blank = (
        raw.select(pl.all_horizontal(pl.all().is_null())).to_series()
        if candidates.any()
        else candidates
    )
    texts = [c for c, t in raw.schema.items() if t in (pl.String, pl.Categorical)][:3]
    total = (
        raw.select(pl.any_horizontal(pl.col(c).cast(pl.String).is_in(_TOTAL_WORDS) for c in texts))
        .to_series()
        .fill_null(False)
        if texts
        else pl.Series([False] * raw.height)
    )
    if not blank.any() and not total.any():
        return none
    said = pl.select(
        pl.when(pl.lit(blank))
        .then(pl.lit(_MESSAGES["blank"][lang]))
        .when(pl.lit(total))
        .then(pl.lit(_MESSAGES["total"][lang]))
    ).to_series()
    return said.alias("not_a_person")


def _alternate(header: str) -> str:
    """The name of a second column's parsed values, until they are merged into the fact's."""
    return f"__alternate:{header}"


def _with_alternate(
    frame: pl.DataFrame,
    raw: pl.DataFrame,
    plan: ColumnPlan,
    header: str,
    path: str,
    policies: PolicySet,
    lang: Lang,
) -> tuple[pl.DataFrame, pl.Series]:
    """The fact's values with a second column's where the first is blank (a register that
    fills 户籍所在地 on some rows and 户籍所在地区划代码 on others lost the county of every row
    that filled only the second), and per row the error where both are filled and disagree."""
    alternate = _alternate(header)
    first = next(h for h, p in plan.facts.items() if p == path)
    a, b = frame[path], frame[alternate]
    both = a.is_not_null() & b.is_not_null()
    if path == REGION:
        # A province's or prefecture's code beside one of its counties' agrees with it, and
        # the county's is the one used (户籍所在地 "山西省临猗县" or "山西" beside 140821).
        within = pl.select(
            pl.lit(a).str.starts_with(pl.lit(b)) | pl.lit(b).str.starts_with(pl.lit(a))
        ).to_series()
        disagree = (both & ~within).fill_null(False)
        longer = pl.select(
            pl.when(pl.lit(b).str.len_chars() > pl.lit(a).str.len_chars())
            .then(pl.lit(b))
            .otherwise(pl.lit(a))
        ).to_series()
        frame = frame.with_columns(
            pl.when(pl.lit(both)).then(pl.lit(longer)).otherwise(pl.col(path)).alias(path)
        )
    else:
        disagree = (both & (a != b)).fill_null(False)
    message = pl.Series(header, [None] * frame.height, dtype=pl.String)
    if disagree.any():
        label = _label(path, policies, lang)
        said = _MESSAGES["disagree"][lang]
        texts = pl.select(
            pl.format(
                f"{label}: {said}",
                pl.lit(first),
                raw[first].cast(pl.String),
                pl.lit(header),
                raw[header].cast(pl.String),
            )
        ).to_series()
        message = pl.select(pl.when(pl.lit(disagree)).then(pl.lit(texts))).to_series()
    merged = frame.with_columns(
        pl.when(pl.lit(disagree))
        .then(None)
        .otherwise(pl.coalesce(pl.col(path), pl.col(alternate)))
        .alias(path)
    ).drop(alternate)
    return merged, message


def _impossible_births(
    path: str, birth: pl.Series, shown: pl.Series, as_of: pl.Series, policies: PolicySet, lang: Lang
) -> pl.Series:
    """Per row, the error for a birth date before 1900 or after the row's as_of, else null.

    The same check as every other door (`eligibility.birth.birth_date_problem`), run only on
    the rows that fail it, which are few.
    """
    impossible = ((birth < EARLIEST_BIRTH_DATE) | (birth > as_of)).fill_null(False)
    errors: dict[int, str] = {}
    label = _label(path, policies, lang)
    for row in impossible.arg_true().to_list():
        born, on = birth[row], as_of[row]
        problem = birth_date_problem(born, on)
        assert problem is not None
        if lang == "zh":
            problem = (
                f"早于{EARLIEST_BIRTH_DATE.isoformat()}"
                if born < EARLIEST_BIRTH_DATE
                else f"晚于评估日期（{on.isoformat()}）"
            )
        if path == ID_PATH:
            problem = ("其中的出生日期" if lang == "zh" else "its birth date ") + problem
        errors[row] = f'{label}: "{shown[row]}" {problem}'
    return _row_errors(birth.len(), errors)


def _dates_not_answered(
    as_of: pl.Series, policies: PolicySet, lang: Lang
) -> tuple[pl.Series, pl.Series]:
    """Per row, the error for an as_of no answer may be asked for, else null, and whether it
    is one: the range every door checks (`eligibility.as_of_range`), seen from today, worded
    only for the rows out of it, which are few."""
    allowed = as_of_range(policies, dt.date.today())
    outside = ((as_of < allowed.earliest) | (as_of > allowed.latest)).fill_null(False)
    errors: dict[int, str] = {}
    label = _label(AS_OF, policies, lang)
    for row in outside.arg_true().to_list():
        day = as_of[row]
        errors[row] = f'{label}: "{day.isoformat()}" {allowed.problem(day, lang)}'
    return _row_errors(as_of.len(), errors), outside


def _ages_not_of_births(frame: pl.DataFrame, policies: PolicySet, lang: Lang) -> pl.Series:
    """Per row, the error for a stated age that is not the birth date's (given, else the ID
    number's) on the row's as_of, else null: the row path's check
    (`eligibility.birth.age_problem`), its column form finding the rows, which are few."""
    missing = [
        pl.lit(None, dtype=dtype).alias(path)
        for path, dtype in ((BIRTH_DATE, pl.Date), (ID_PATH, pl.String))
        if path not in frame.columns
    ]
    counted = frame.with_columns(missing).select(age_from_birth_in()).to_series()
    clash = frame.select(age_conflicts_in(pl.col(AGE), pl.lit(counted)).fill_null(False))
    errors: dict[int, str] = {}
    age_label = _label(AGE, policies, lang)
    for row in clash.to_series().arg_true().to_list():
        given = frame[BIRTH_DATE][row] if BIRTH_DATE in frame.columns else None
        path = BIRTH_DATE if given is not None else ID_PATH
        born = given if given is not None else parse_identity_number(frame[ID_PATH][row]).birth_date
        age, on = frame[AGE][row], frame[AS_OF][row]
        label = _label(path, policies, lang)
        if lang == "zh":
            errors[row] = (
                f'{age_label}: "{age}" 与{label}不符：出生日期 {born.isoformat()} '
                f"在评估日期（{on.isoformat()}）是 {age_on(born, on)} 岁"
            )
        else:
            named = f"the birth date in {label}" if path == ID_PATH else label
            problem = age_problem(age, born, on, named)
            assert problem is not None  # the column form found this row
            errors[row] = f"{age_label}: {problem}"
    return _row_errors(frame.height, errors)


def _row_errors(height: int, errors: dict[int, str]) -> pl.Series:
    """Each of `height` rows' error: the text `errors` gives for its number, else null (made
    from the few rows that have one, not from a list of every row)."""
    column = pl.repeat(None, height, dtype=pl.String, eager=True).alias("")
    if errors:
        column = column.scatter(list(errors), list(errors.values()))
    return column


def _joined(errors: Sequence[pl.Expr]) -> pl.Expr:
    """A row's errors joined with "; ", null when it has none."""
    if not errors:
        return pl.lit(None, dtype=pl.String)
    joined = pl.concat_str(errors, separator="; ", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


# A column's error: whether a row's cell is bad, and the message (read only on bad rows).  None
# for a column that cannot have one (already typed, or every distinct cell parsed fine).
_Error = tuple[pl.Expr, pl.Expr] | None
_Steps = tuple[pl.Expr | None, pl.Expr, pl.Expr, _Error]


def _column_steps(header: str, dtype: pl.DataType, spec: FactSpec, i: int, lang: Lang) -> _Steps:
    """The expressions that parse one column: cleaned text (None for a column already typed),
    parsed value, final value, error text; each reads the columns the ones before it make."""
    typed = (
        (spec.kind == "int" and dtype.is_integer())
        or (spec.kind == "bool" and dtype == pl.Boolean)
        or (spec.kind == "date" and (dtype == pl.Date or isinstance(dtype, pl.Datetime)))
    )
    text = None if typed else _cleaned(pl.col(header), dtype).alias(f"__text{i}")
    value, final, error = _parse(
        pl.col(header) if typed else pl.col(f"__text{i}"), pl.col(f"__value{i}"), dtype, spec, lang
    )
    return text, value.alias(f"__value{i}"), final, error


def _parsed_once(
    distinct: pl.Series,
    header: str,
    steps: _Steps,
    dtype: pl.DataType,
    known: pl.DataFrame | None = None,
) -> tuple[pl.Expr, _Error, pl.DataFrame]:
    """Parse the distinct cells of a column (those not `known` already), and look each row's
    cell up in the result; return the lookups and every cell parsed so far."""
    text, value, final, error = steps
    assert text is not None
    new = distinct if known is None else distinct.filter(~distinct.is_in(known[header].implode()))
    if known is None or new.len():
        message = pl.lit(None, dtype=pl.String) if error is None else error[1]
        parsed = (
            new.alias(header)
            .to_frame()
            .lazy()
            .with_columns(text)
            .with_columns(value)
            .select(pl.col(header), final.alias("final"), message.alias("error"))
            .collect(engine=IN_MEMORY)
        )
        known = parsed if known is None else pl.concat([known, parsed])
    done = known
    cell = pl.col(header)
    if distinct.dtype == pl.String:
        # Each cell's place among the parsed cells (an enum of them), then the parsed value at
        # that place: cheaper than hashing every cell in a lookup.
        place = cell.cast(pl.Enum(done[header])).to_physical()
        value = pl.lit(done["final"].cast(dtype)).gather(place)
    else:
        value = cell.replace_strict(done[header], done["final"], default=None, return_dtype=dtype)
    bad = done.filter(pl.col("error").is_not_null())
    if bad.height == 0:
        return value, None, done  # a clean column: nothing more to look up
    return (
        value,
        (
            cell.is_in(bad[header].implode()).fill_null(False),
            cell.replace_strict(bad[header], bad["error"], default=None, return_dtype=pl.String),
        ),
        done,
    )


def _parsed_categories(
    categories: pl.Categories,
    header: str,
    steps: _Steps,
    dtype: pl.DataType,
    seen: pl.DataFrame | None = None,
) -> tuple[pl.Expr, _Error, pl.DataFrame]:
    """Parse the categories of a column read as categorical (those not `seen` already), and
    look each row's cell up by its category number; return the lookups and the categories
    parsed so far (final value and error, by category number).

    The reader numbers categories from 0 in the order it meets them and never renumbers, so a
    chunk's cells are all among the categories there are once it has been read."""
    text, value, final, error = steps
    assert text is not None
    every = categories.to_series()
    done = seen
    if done is None or done.height < every.len():
        message = pl.lit(None, dtype=pl.String) if error is None else error[1]
        parsed = (
            every.slice(0 if done is None else done.height)
            .alias(header)
            .to_frame()
            .lazy()
            .with_columns(text)
            .with_columns(value)
            .select(final.cast(dtype).alias("final"), message.alias("error"))
            .collect(engine=IN_MEMORY)
        )
        done = parsed if done is None else pl.concat([done, parsed])
    place = pl.col(header).to_physical()
    looked_up = pl.lit(done["final"]).gather(place)
    errors = done["error"]
    if errors.null_count() == errors.len():
        return looked_up, None, done  # a clean column: nothing more to look up
    return (
        looked_up,
        (pl.lit(errors.is_not_null()).gather(place).fill_null(False), pl.lit(errors).gather(place)),
        done,
    )


def few_valued_headers(plan: ColumnPlan, policies: PolicySet) -> list[str]:
    """The headers of fact columns whose cells take few distinct values (yes/no, the options
    of a category, region codes or place names): read as categorical where the reader can
    (`batch.readers.Register.read`), they are parsed once per distinct cell."""
    few = ("bool", "enum", "region")
    return [h for h, path in plan.facts.items() if policies.facts[path].kind in few]


# Categories parsed per column are shared by the chunks decided at once, in threads.
_CATEGORIES_LOCK = threading.Lock()


def _label(path: str, policies: PolicySet, lang: Lang) -> str:
    """How a field is named in error messages: the dotted path, with the zh header in zh."""
    spec = policies.facts.get(path)
    return f"{spec.header_zh}（{path}）" if lang == "zh" and spec is not None else path


def _cleaned(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The cell as stripped text, null when it says nothing."""
    text = column if dtype == pl.String else column.cast(pl.String)
    text = text.str.strip_chars()
    # Compared with every spelling in any case (`_UNKNOWN_SPELLINGS`) rather than lower-casing
    # every cell first: a register's number columns hold a hundred thousand distinct cells.
    return pl.when(text.is_in(_UNKNOWN_SPELLINGS)).then(None).otherwise(text)


def _spellings(word: str) -> set[str]:
    """`word` in every mix of upper and lower case (the words are short)."""
    spellings = {""}
    for char in word:
        spellings = {s + c for s in spellings for c in {char.lower(), char.upper()}}
    return spellings


_UNKNOWN_SPELLINGS = sorted(set().union(*(_spellings(w) for w in UNKNOWN_WORDS)))


def _error(
    bad: pl.Expr, shown: pl.Expr, path: str, message: str, spec: FactSpec, lang: Lang
) -> tuple[pl.Expr, pl.Expr]:
    label = f"{spec.header_zh}（{path}）" if lang == "zh" else path
    bad = bad.fill_null(False)
    return bad, (
        pl.when(bad)
        .then(pl.format(f'{label}: "{{}}" {message}', shown))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _parse(
    text: pl.Expr, value: pl.Expr, dtype: pl.DataType, spec: FactSpec, lang: Lang
) -> tuple[pl.Expr, pl.Expr, _Error]:
    """How to parse one column, in two steps so that nothing is computed twice.

    `text` reads the cleaned cell (`_cleaned`, computed before) or, for a column already typed,
    the cell itself; `value` reads what the first expression returned gives.  Returns the parsed
    value (first step), and the final value and the error text (null when fine), both reading
    `value` (second step).
    """
    path, kind = spec.path, spec.kind
    nothing: _Error = None
    # Already typed (Parquet): take it as it is, only check the bounds.
    if kind == "int" and dtype.is_integer():
        return (text.cast(pl.Int64), *_bounded(value, value.cast(pl.String), spec, lang))
    if kind == "bool" and dtype == pl.Boolean:
        return text, value, nothing
    if kind == "date" and dtype == pl.Date:
        return text, value, nothing
    if kind == "date" and isinstance(dtype, pl.Datetime):
        return text.dt.date(), value, nothing

    shown = text
    if kind == "int":
        as_float = text.cast(pl.Float64, strict=False)
        whole = as_float.is_finite() & (as_float == as_float.floor())
        # Exact digits first (integers beyond float precision), then whole spreadsheet floats.
        parsed = pl.coalesce(
            text.cast(pl.Int64, strict=False),
            pl.when(whole).then(as_float.cast(pl.Int64, strict=False)),
        )
        bad = text.is_not_null() & value.is_null()
        final, range_error = _bounded(value, shown, spec, lang)
        not_whole = _error(bad, shown, path, _MESSAGES["int"][lang], spec, lang)
        if range_error is None:
            return parsed, final, not_whole
        error = (not_whole[0] | range_error[0], pl.coalesce(not_whole[1], range_error[1]))
        return parsed, final, error
    if kind == "bool":
        # "1.0" from a spreadsheet number is 1.
        lowered = text.str.to_lowercase().str.replace(r"^([01])\.0+$", "$1")
        parsed = (
            pl.when(lowered.is_in(list(TRUE_WORDS)))
            .then(pl.lit(True))
            .when(lowered.is_in(list(FALSE_WORDS)))
            .then(pl.lit(False))
            .otherwise(pl.lit(None, dtype=pl.Boolean))
        )
        message = _MESSAGES["bool"][lang]
    elif kind == "enum":
        words: dict[str, str] = {}
        for option in spec.options:
            words[_enum_key(option.value)] = option.value
            words[_enum_key(option.zh)] = option.value
        key = text.str.to_lowercase().str.replace_many(_WIDE, _NARROW)
        parsed = key.replace_strict(words, default=None, return_dtype=pl.String)
        options = "、".join(f"{o.zh}/{o.value}" for o in spec.options)
        message = _MESSAGES["enum"][lang].format(options=options)
    elif kind == "date":
        # Spreadsheets give "2024-05-01 00:00:00" for date cells read as text.
        day = text.str.replace(r"[ T]00:00:00(\.0+)?$", "").str.replace_all("/", "-")
        parsed = day.str.to_date("%Y-%m-%d", strict=False)
        message = _MESSAGES["date"][lang]
    elif kind == "region":
        # Full-width digits become ASCII (as `normalise_region_code` does), and a code typed
        # into a numeric cell comes back as "510121.0".
        code = text.str.normalize("NFKC").str.strip_chars().str.replace(r"\.0+$", "")
        # A code no region has today (999999, a retired one) is the row's error, as it is at
        # every other door (`eligibility.regions.is_known_region_code`).
        good = region_codes_in(code) & known_region_codes_in(code)
        # A place name ("临猗县", "山西运城临猗") is read by the core's resolver, the same as the
        # API's and the bot's; one shared by several places stays unread: the row's error.
        named = code.map_batches(_codes_of_names, return_dtype=pl.String)
        parsed = pl.when(good).then(code).otherwise(named)
        message = _MESSAGES["region"][lang]
    else:
        return text.cast(KIND_DTYPES[kind]), value, nothing
    bad = text.is_not_null() & value.is_null()
    return parsed, value, _error(bad, shown, path, message, spec, lang)


def _codes_of_names(names: pl.Series) -> pl.Series:
    """Each cell's region code when it names exactly one place (each distinct name once)."""
    mapping = {
        name: code
        for name in names.drop_nulls().unique().to_list()
        if not is_region_code(name) and (code := region_code_of(name)[0]) is not None
    }
    return names.replace_strict(mapping, default=None, return_dtype=pl.String)


# Full-width punctuation and spaces typed in Chinese input methods, and what they stand for.
_WIDE = ["（", "）", "／", "，", "、", "　", " "]
_NARROW = ["(", ")", "/", ",", ",", "", ""]


def _enum_key(word: str) -> str:
    """An enum word in the form cells are matched in (as the column expression does)."""
    key = word.lower()
    for wide, narrow in zip(_WIDE, _NARROW, strict=True):
        key = key.replace(wide, narrow)
    return key


def _bounded(value: pl.Expr, shown: pl.Expr, spec: FactSpec, lang: Lang) -> tuple[pl.Expr, _Error]:
    """Null out and report values outside the catalogue's bounds (those of the facts Structs)."""
    conditions = []
    if spec.min is not None:
        conditions.append(value < spec.min)
    if spec.max is not None:
        conditions.append(value > spec.max)
    if not conditions:
        return value, None
    out = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    low = "" if spec.min is None else str(spec.min)
    high = "" if spec.max is None else str(spec.max)
    message = _MESSAGES["range"][lang].format(low=low, high=high)
    error = _error(out, shown, spec.path, message, spec, lang)
    return pl.when(out.fill_null(False)).then(None).otherwise(value), error


def identity_number_screen(text: pl.Series) -> pl.Series:
    """True where the (stripped, upper-case) text is a valid GB 11643 number, computed columnar.

    The same three checks as `eligibility.identity.parse_identity_number` (shape, a real birth
    date from 1900, the ISO 7064 MOD 11-2 check character from its `check_character`'s weights),
    so that a register of millions is not checked one number at a time in Python.  Numbers it
    rejects are handed to `parse_identity_number` itself for the message; a test holds the two
    to the same answer on random input.
    """
    digits, given = _id_digits(text)
    return _id_valid(digits, given).alias(text.name)


def _id_digits(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The first 17 digits as one integer and the check character as a number (X is 10), both
    null where the text is not 17 ASCII digits followed by a digit or X.

    Read by casting the text (an X at its end taken off) to an unsigned integer: polars' own
    number parser, several times cheaper than a pattern, admits ASCII digits only, and a
    leading `+`, ruled out apart.  18 digits fit in 64 bits.
    """
    cell, n, x = pl.col("text"), pl.col("n"), pl.col("x")
    shaped = (cell.str.len_bytes() == 18) & ~cell.str.starts_with("+") & n.is_not_null()
    frame = (
        pl.LazyFrame({"text": text})
        .with_columns(
            cell.str.strip_suffix("X").cast(pl.UInt64, strict=False).alias("n"),
            cell.str.ends_with("X").alias("x"),
        )
        .select(
            pl.when(shaped).then(pl.when(x).then(n).otherwise(n // 10)).alias("digits"),
            pl.when(shaped)
            .then(pl.when(x).then(pl.lit(10, pl.UInt64)).otherwise(n % 10))
            .alias("given"),
        )
        .collect(engine=IN_MEMORY)
    )
    return frame["digits"], frame["given"]


def _id_valid(digits: pl.Series, given: pl.Series) -> pl.Series:
    """Whether each number (its 17 digits and check character, `_id_digits`) has a real birth
    date from 1900 and the check character its digits give (false where they are null)."""
    return _id_checked(digits, given).select("valid").collect(engine=IN_MEMORY).to_series()


def _id_checked(digits: pl.Series, given: pl.Series) -> pl.LazyFrame:
    """`valid`: whether each number has a real birth date from 1900 and the right check
    character (`_id_valid`), and `birth`: that birth date where it is valid (else null), read
    from the digits (what its characters 7 to 14 say, without parsing them as text again).

    In stages, each reading the columns the one before made: polars does not reliably compute
    a shared part once.
    """
    d = pl.col("digits")
    # The check sum over blocks of three digits, each block's share looked up
    # (`_ID_BLOCK_SUMS`): a third of the operations of going digit by digit.
    total = reduce(
        lambda acc, block: (
            acc + pl.lit(block[2]).gather(d // 10 ** (17 - block[0] - block[1]) % 10 ** block[1])
        ),
        _ID_BLOCK_SUMS,
        pl.lit(0, dtype=pl.UInt64),
    )
    # The birth date YYYYMMDD read as numbers (cheaper than parsing dates).
    birth = d // 1000 % 100_000_000
    year, month, day = pl.col("year"), pl.col("month"), pl.col("day")
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    m = month.clip(1, 12)
    days_in_month = (
        28 + (m + m // 8) % 2 + 2 % m + 2 * (1 // m) + (leap & (month == 2)).cast(pl.UInt64)
    )
    real_birth = (year >= 1900) & month.is_between(1, 12) & day.is_between(1, days_in_month)
    # "10X98765432"[r], the check character, is (12 - r) % 11 as a number (X is 10).
    expected = (12 - pl.col("total") % 11) % 11
    valid = pl.col("valid")
    return (
        pl.LazyFrame({"digits": digits, "given": given})
        .with_columns(
            total.alias("total"),
            (birth // 10_000).alias("year"),
            (birth // 100 % 100).alias("month"),
            (birth % 100).alias("day"),
        )
        .with_columns(
            (real_birth & (expected == pl.col("given"))).fill_null(False).alias("valid"),
        )
        .select(
            valid,
            pl.when(valid)
            .then(pl.date(year.cast(pl.Int32), month.cast(pl.Int8), day.cast(pl.Int8)))
            .alias("birth"),
        )
    )


# The core's own GB 11643 weights and check characters: one definition of the algorithm.
_ID_WEIGHTS = identity.CHECK_WEIGHTS
_ID_CHECK = identity.CHECK_CHARACTERS


def _block_sums(start: int, width: int) -> pl.Series:
    """For every value of the `width` digits from position `start` of the first 17, their share
    of the weighted check sum (each digit times its weight in `_ID_WEIGHTS`)."""
    weights = _ID_WEIGHTS[start : start + width]
    # Computed columnar: a thousand values digit by digit in Python cost every start-up 15 ms.
    value = pl.int_range(10**width, dtype=pl.UInt64, eager=True)
    total = pl.repeat(0, value.len(), dtype=pl.UInt64, eager=True)
    for k, weight in enumerate(weights):
        total = total + value // 10 ** (width - 1 - k) % 10 * weight
    return total


# (start, width, shares) of each block of the 17 digits: five of three digits, one of two.
_ID_BLOCK_SUMS = [
    (start, min(3, 17 - start), _block_sums(start, min(3, 17 - start))) for start in range(0, 17, 3)
]


@cache
def _id_masks() -> pl.Series:
    """The masked form (`mask_identity_number`) of an 18-character number, by the number its
    first four digits make: each row's mask is then picked, not written out again."""
    shown = identity.MASK_SHOWN_PREFIX
    return pl.Series(
        [f"{value:0{shown}d}" + "*" * (18 - shown) for value in range(10**shown)],
        dtype=pl.String,
    )


def _normalised_ids(text: pl.Series) -> pl.Series:
    """The cells as `eligibility.identity.normalise_identity_text` gives them (NFKC, stripped,
    upper case), those that say nothing (`UNKNOWN_WORDS`) null."""
    # NFKC leaves ASCII as it is: only cells with other characters (full-width digits) need it.
    wide = (text.str.len_bytes() != text.str.len_chars()).arg_true()
    if wide.len():
        text = text.scatter(wide, text.gather(wide).str.normalize("NFKC"))
    text = text.str.strip_chars().str.to_uppercase()
    # The text is upper-cased already: compare with the words upper-cased.
    unknown = text.is_in([word.upper() for word in UNKNOWN_WORDS]).fill_null(False)
    return pl.select(pl.when(pl.lit(unknown)).then(None).otherwise(pl.lit(text))).to_series()


_ID_AS_NUMBER: dict[Lang, str] = {
    "zh": "（如果表格把身份证号存成了数字，末几位会被改成0：请把这一列设成文本，再重新录入）",
    "en": " (if the sheet stored the ID number as a number, its last digits became zeros: format "
    "the column as text and enter the numbers again)",
}


def _identity_numbers(
    column: pl.Series, lang: Lang
) -> tuple[pl.Series, pl.Series, pl.Series, pl.Series]:
    """Checked numbers (null when bad), their masked forms, errors that show only the mask,
    and the birth date each checked number gives (null when bad).

    Valid numbers are recognised columnar (`identity_number_screen`); the few it rejects go to
    `eligibility.identity.parse_identity_number` for the reason.
    """
    stored_as_number = column.dtype.is_numeric()
    text = column.cast(pl.String).alias("text")
    digits, given = _id_digits(text)
    # A cell shaped like a number as it stands (17 ASCII digits, then a digit or an upper-case
    # X) is already in the form `normalise_identity_text` gives; only the others (empty cells,
    # numbers typed with spaces, a lower-case x or full-width digits, and wrong ones), usually
    # few, are normalised, as the core does, and read again.
    others = digits.is_null().arg_true()
    if others.len():
        normalised = _normalised_ids(text.gather(others))
        text = text.scatter(others, normalised)
        again, again_given = _id_digits(normalised)
        digits = digits.scatter(others, again)
        given = given.scatter(others, again_given)
    checked = _id_checked(digits, given).collect(engine=IN_MEMORY)
    valid, born = checked["valid"], checked["birth"]
    # The core's mask (`mask_identity_number`), columnar: a test holds the two to one answer.
    shaped = digits.is_not_null()
    masked = pl.select(
        pl.lit(_id_masks()).gather(pl.lit(digits) // 10 ** (17 - identity.MASK_SHOWN_PREFIX))
    ).to_series()
    rest = (~shaped & text.is_not_null()).arg_true()
    if rest.len():
        # Other text (never a valid number) is masked by the core, each distinct text once.
        cells = text.gather(rest)
        odd = cells.unique()
        masked = masked.scatter(
            rest,
            cells.replace_strict(
                odd,
                [identity.mask_identity_number(value) for value in odd],
                return_dtype=pl.String,
            ),
        )
    number = pl.select(pl.when(pl.lit(valid)).then(pl.lit(text))).to_series()
    error = pl.repeat(None, text.len(), dtype=pl.String, eager=True)
    bad = (text.is_not_null() & ~valid).arg_true()
    if bad.len():
        label = "身份证号（person.id_number）" if lang == "zh" else ID_PATH
        reasons: dict[str, str] = {}
        for value in text.gather(bad).unique():
            try:
                parse_identity_number(value)
                reason = "rejected"  # the screen and the core disagree: never expected
            except IdentityNumberError as exc:
                reason = _ID_MESSAGES.get(str(exc), str(exc)) if lang == "zh" else str(exc)
            if stored_as_number or value.endswith("00"):
                # A spreadsheet that keeps the number as a number keeps 15–16 digits and ends
                # it in zeros: the check digit then fails, and the cell's format is what to mend
                # (review of 2026-12-04: a caseworker re-checked the digit instead).
                reason += _ID_AS_NUMBER[lang]
            reasons[value] = reason
        messages = pl.select(
            pl.format(
                f'{label}: "{{}}" {{}}',
                pl.lit(masked.gather(bad)),
                pl.lit(text.gather(bad)).replace_strict(reasons, return_dtype=pl.String),
            )
        ).to_series()
        error = error.scatter(bad, messages)
    return number.alias(ID_PATH), masked.alias(column.name), error.alias("error"), born
