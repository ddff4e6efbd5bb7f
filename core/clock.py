"""The city's clock: its time zone, today's date and local midnights.

Times are stored in UTC (`core.db.now_utc`); dates a person sees and types — a receipt date, an
expiry date, the day of a daily report — are calendar days in the city's time zone
(`BABEL_DEFAULT_TIMEZONE`). Everything that turns one into the other goes through here.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

DEFAULT_TIMEZONE = "Asia/Shanghai"


def timezone_name() -> str:
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)


def zone() -> ZoneInfo:
    """The city's time zone."""
    return ZoneInfo(timezone_name())


def local_now() -> datetime:
    """Now, as an aware time in the city's time zone."""
    return datetime.now(zone())


def local_today() -> date:
    """Today's date in the city's time zone (expiry and receipt dates are local calendar days)."""
    return local_now().date()


def local_midnight(day: date) -> datetime:
    """The start of a local calendar day, as an aware time."""
    return datetime.combine(day, time.min, tzinfo=zone())


def local_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """Aware bounds [start, end) of the local days since..until (inclusive)."""
    return local_midnight(since), local_midnight(until + timedelta(days=1))


def local_date(moment: datetime) -> date:
    """The local calendar day of a stored time (a naive time is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone()).date()


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time on a day, as an aware time."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone())
