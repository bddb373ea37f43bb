"""Background tasks of the admin's 数据导入: the check (dry run) after an upload, the import after a confirmation."""

from gridsafe.core.tasks import task
from gridsafe.ops.imports import run_apply, run_check


@task()
def import_check(*, run_id: int) -> None:
    run_check(run_id)


@task()
def import_apply(*, run_id: int) -> None:
    run_apply(run_id)
