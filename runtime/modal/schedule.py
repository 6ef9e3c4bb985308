# SPDX-License-Identifier: MIT
"""modal.Period / modal.Cron stand-ins (record-only)."""


class Period:
    def __init__(self, *, years=0, months=0, weeks=0, days=0, hours=0, minutes=0, seconds=0):
        self._fields = {k: v for k, v in dict(years=years, months=months, weeks=weeks, days=days, hours=hours,
                                                minutes=minutes, seconds=seconds).items() if v}

    def _shim_ref(self):
        return {"$period": dict(self._fields)}


class Cron:
    def __init__(self, cron_string, timezone="UTC"):
        self.cron_string = cron_string
        self.timezone = timezone

    def _shim_ref(self):
        return {"$cron": self.cron_string, "timezone": self.timezone}
