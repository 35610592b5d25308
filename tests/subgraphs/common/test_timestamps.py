"""UtcDateTime: timestamps go in and come out in UTC, whatever the driver hands back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, Dialect
from sqlalchemy.dialects import postgresql, sqlite

from subgraphs.common.timestamps import UtcDateTime

NOON_UTC = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BERLIN = timezone(timedelta(hours=1))
DIALECTS: list[Dialect] = [sqlite.dialect(), postgresql.dialect()]


@pytest.mark.parametrize(
    "value",
    [NOON_UTC, NOON_UTC.replace(tzinfo=None), NOON_UTC.astimezone(BERLIN)],
    ids=["utc", "naive", "berlin"],
)
@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_values_are_bound_and_read_as_utc(value: datetime, dialect: Dialect) -> None:
    column = UtcDateTime()
    bound = column.process_bind_param(value, dialect)
    read = column.process_result_value(value, dialect)
    for moment in (bound, read):
        assert moment is not None
        assert moment == NOON_UTC
        assert moment.tzinfo is UTC


def test_null_stays_null() -> None:
    column = UtcDateTime()
    dialect = sqlite.dialect()
    assert column.process_bind_param(None, dialect) is None
    assert column.process_result_value(None, dialect) is None


def test_migrations_see_a_timezone_aware_datetime() -> None:
    impl = UtcDateTime().impl
    assert isinstance(impl, DateTime)
    assert impl.timezone is True
