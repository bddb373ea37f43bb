"""The dashboards' long work as background jobs (core/jobs.py), listed under 我的下载: the 工作档案 ZIP (汇总成册) of
a unit and a period, which packs every photo, report and bulletin of the period and can take minutes for a county
year. The page starts the job; the builder checks the 辖区 again on the worker, as the user who asked."""

from __future__ import annotations

import shutil
from pathlib import Path

from gridsafe.core.jobs import Built, register_kind
from gridsafe.dashboards.archives import archive_build, archive_target
from gridsafe.dashboards.periods import parse_period, today


def archive_period(key: str | None):
    period = parse_period(key)
    return period if period.start is not None else parse_period(str(today().year))


def _build_archive(*, job, path: Path, progress) -> Built:
    target = archive_target(job.user, job.params.get("target", ""))
    period = archive_period(job.params.get("period"))
    packed = [0]

    def report(done: int, total: int) -> None:
        packed[0] = done
        progress(done, total)

    handle, name = archive_build(target=target, period=period, actor=job.user, ip=job.ip, progress=report)
    with handle, path.open("wb") as out:
        shutil.copyfileobj(handle, out)
    return Built(file_name=name, rows=packed[0])


def register() -> None:
    register_kind("archives.zip", label="工作档案（ZIP）", suffix=".zip", build=_build_archive)
