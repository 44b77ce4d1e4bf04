"""normalise stored region codes and re-mask stored ID numbers (#11, findings 2 and 7)

Rows written before issue 11's fixes may hold region codes as they were typed: `"140821\\n"`,
full-width `１４０８２１`.  Codes are compared by prefix, so such a household is invisible to the
140821 caseworker and decides without its county's amounts; a key or an export job scoped
to `１４０８２１` sees nothing.  Members' `id_number_masked` may be in the old form (first 4 and
last 4 shown, `1408**********2014`), which with the birth date shown beside it rebuilds the
number.  This migration rewrites, with the core's own functions so the stored form is exactly
what every door writes today:

- `households.region_code`, `members.employment` → `work_region_code`, and the region lists
  of `api_keys.regions` and `export_jobs.regions` (the job's scope, checked when a caseworker
  reads or downloads it), with `eligibility.regions.normalise_region_code`;
- `members.id_number_masked` with `eligibility.identity.mask_identity_number`: masking a mask
  again gives the current form (`1408**************`), as the number itself would.

A code the normaliser refuses (other scripts' digits, letters, a wrong length) is left as it
is and named in a warning (table, row id, the code's repr): guessing a region would put a
household in someone else's scope, and dropping the value would lose data.  Such a household
stays outside the scope of every key with valid codes (no code is a prefix of it), which fails
closed, and such an entry in a key's list grants nothing of a valid code's households; the
warning is the operator's list to correct (`PATCH /v1/households/{id}`, a new key).

Stored assessments keep their determinations and facts hash as computed (they are what was
decided), but the codes in their facts (`region_code`, `person.employment.work_region_code`)
are normalised too: read back as `Applicant`, whose region type is exact, a stored `１４０８２１`
made every read of the assessment, and the member's history, a 500.  It is the same region in
its one spelling; a re-derivation now decides on the code as meant and says `identical: false`
where the old answer was made on the misspelt one (a full-width code had lost its amount).

Downgrade does nothing: the schema is unchanged, the normalised codes are the same regions
in the one spelling revision 0004's code also accepts, and the old masks cannot come back
(their last four characters are gone) and must not (they rebuild the number).

Revision ID: 0005_normalise_stored_codes
Revises: 0004_telegram_updates
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from alembic import op

from eligibility.identity import mask_identity_number
from eligibility.regions import RegionCodeError, is_region_code, normalise_region_code

revision: str = "0005_normalise_stored_codes"
down_revision: str | None = "0004_telegram_updates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("db.migrations.normalise_stored_codes")

# Rows are read in pages by primary key, so a large register never sits in memory at once.
_PAGE = 2000


class _Unchanged(Exception):
    """The stored value cannot be normalised (or only in part); `value` is what to store."""

    def __init__(self, value: str | None = None) -> None:
        super().__init__(value)
        self.value = value


def _region(table: str, row_id: object, code: str) -> str:
    """`code` in its stored form; `_Unchanged` (after a warning) if the normaliser refuses it."""
    if is_region_code(code):
        return code
    try:
        return normalise_region_code(code)
    except RegionCodeError:
        log.warning(
            "%s %s: region code %r is not a GB/T 2260 code and was left as it is; "
            "no valid code's scope includes it (or is included by it) until corrected",
            table,
            row_id,
            code,
        )
        raise _Unchanged from None


def _region_list(table: str, row_id: object, text: str) -> str:
    """A JSON list of region prefixes with each normalisable one normalised (duplicates that
    normalising makes go, as `api.security.check_regions` drops them); the others are kept."""
    try:
        regions = msgspec.json.decode(text, type=list[str])
    except msgspec.DecodeError:
        log.warning("%s %s: regions %r is not a JSON list of codes; left as it is", table, row_id, text)
        raise _Unchanged from None
    kept: list[str] = []
    partly = False
    for code in regions:
        try:
            kept.append(_region(table, row_id, code))
        except _Unchanged:
            kept.append(code)
            partly = True
    normalised = msgspec.json.encode(list(dict.fromkeys(kept))).decode()
    if partly:
        # The other codes of the list are still normalised: they are the key's real scope.
        raise _Unchanged(normalised)
    return normalised


def _employment(table: str, row_id: object, text: str) -> str:
    """The member's employment JSON with `work_region_code` normalised (other keys untouched)."""
    try:
        employment = msgspec.json.decode(text)
    except msgspec.DecodeError:
        log.warning("%s %s: employment is not JSON; left as it is", table, row_id)
        raise _Unchanged from None
    code = employment.get("work_region_code") if isinstance(employment, dict) else None
    if not isinstance(code, str) or is_region_code(code):
        return text
    employment["work_region_code"] = _region(table, row_id, code)
    return msgspec.json.encode(employment).decode()


def _assessment_facts(table: str, row_id: object, text: str) -> str:
    """An assessment's facts JSON with its region codes normalised (nothing else changed)."""
    try:
        facts = msgspec.json.decode(text)
    except msgspec.DecodeError:
        log.warning("%s %s: facts are not JSON; left as they are", table, row_id)
        raise _Unchanged from None
    if not isinstance(facts, dict):
        return text
    partly = False
    code = facts.get("region_code")
    if isinstance(code, str) and not is_region_code(code):
        try:
            facts["region_code"] = _region(table, row_id, code)
        except _Unchanged:
            partly = True
    person = facts.get("person")
    employment = person.get("employment") if isinstance(person, dict) else None
    if isinstance(person, dict) and isinstance(employment, dict):
        try:
            fixed = _employment(table, row_id, msgspec.json.encode(employment).decode())
            person["employment"] = msgspec.json.decode(fixed)
        except _Unchanged:
            partly = True
    normalised = msgspec.json.encode(facts).decode()
    if partly:
        raise _Unchanged(normalised)
    return normalised


def _mask(table: str, row_id: object, mask: str) -> str:
    del table, row_id  # a mask always re-masks; nothing of it is logged
    return mask_identity_number(mask)


def _pages(table: sa.TableClause, column: str) -> Iterator[list[sa.Row[Any]]]:
    """(id, value) rows with a value, a page at a time in primary-key order."""
    ident, value = table.c.id, table.c[column]
    last: object = None
    while True:
        query = sa.select(ident, value).where(value.is_not(None)).order_by(ident).limit(_PAGE)
        if last is not None:
            query = query.where(ident > last)
        rows = list(op.get_bind().execute(query))
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rewrite(name: str, column: str, fix: Callable[[str, object, str], str]) -> tuple[int, int]:
    """Apply `fix` to every stored value of `name.column` (every table here has a text `id`);
    (rows changed, rows holding a value that could not be normalised)."""
    table = sa.table(name, sa.column("id", sa.String), sa.column(column, sa.Text))
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({column: sa.bindparam("new_value")})
    )
    changed = left = 0
    for rows in _pages(table, column):
        updates = []
        for row_id, stored in rows:
            try:
                new = fix(name, row_id, stored)
            except _Unchanged as unchanged:
                left += 1
                if unchanged.value is None:
                    continue
                new = unchanged.value
            if new != stored:
                updates.append({"row_id": row_id, "new_value": new})
        if updates:
            op.get_bind().execute(update, updates)
            changed += len(updates)
    return changed, left


def upgrade() -> None:
    results = {
        "households.region_code": _rewrite("households", "region_code", _region),
        "members.employment.work_region_code": _rewrite("members", "employment", _employment),
        "members.id_number_masked": _rewrite("members", "id_number_masked", _mask),
        "assessments.facts": _rewrite("assessments", "facts", _assessment_facts),
        "api_keys.regions": _rewrite("api_keys", "regions", _region_list),
        "export_jobs.regions": _rewrite("export_jobs", "regions", _region_list),
    }
    for where, (changed, left) in results.items():
        if changed or left:
            log.info("%s: %d rows rewritten, %d left as they are", where, changed, left)
    unchanged = sum(left for _, left in results.values())
    if unchanged:
        log.warning(
            "%d stored values could not be normalised and were left as they are (see above)",
            unchanged,
        )


def downgrade() -> None:
    # Nothing to undo: see the module docstring (same regions, one spelling; old masks leak).
    pass
