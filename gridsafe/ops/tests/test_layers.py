"""The layers of pyproject.toml [tool.importlinter] hold, and the case events still reach the layers above cases."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings

from gridsafe.cases import hooks
from gridsafe.dashboards.rollups import rollup_apply_event
from gridsafe.notifications.services import needs_task
from gridsafe.notifications.tasks import case_notify


def test_import_contracts_are_kept():
    """core imports no app; each app imports only the layers below it (the same run as `make check` and CI)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_case_events_reach_rollups_and_notifications_through_the_hooks():
    """cases imports neither dashboards nor notifications; their AppConfig.ready() registered the listeners."""
    assert rollup_apply_event in hooks.IN_TRANSACTION
    assert (needs_task, case_notify.enqueue) in hooks.AFTER_COMMIT
