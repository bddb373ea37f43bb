"""Orphan files — written by an upload whose process died before its row committed — are removed by the worker's
media sweep once they are old enough; files that rows name, and fresh files, are never touched."""

import os
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from gridsafe.cases.models import Attachment
from gridsafe.core import clock
from gridsafe.core.media_sweep import orphan_files, orphan_files_sweep


def _aged(name: str, hours: float) -> None:
    path = default_storage.path(name)
    then = (clock.now() - timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_old_orphans_go_named_and_fresh_files_stay(flow, settings):
    case = flow.report()
    attachment = Attachment.objects.get(pk=flow.photo(case, "nanxi_worker", role="before"))
    kept = {attachment.file.name, attachment.thumbnail.name}
    for name in kept:
        _aged(name, 5)  # old, but a row names it
    orphan = default_storage.save("cases/2026/12/killed-mid-upload.pdf", ContentFile(b"%PDF-1.4\n"))
    _aged(orphan, 2)
    fresh = default_storage.save("thumbs/2026/12/upload-in-flight.jpg", ContentFile(b"\xff\xd8\xff"))
    outside = default_storage.save("not-an-upload-folder/notes.txt", ContentFile(b"x"))
    _aged(outside, 48)

    assert orphan_files() == [orphan]
    assert orphan_files_sweep() == [orphan]

    assert not default_storage.exists(orphan)
    assert all(default_storage.exists(name) for name in kept)
    assert default_storage.exists(fresh) and default_storage.exists(outside)
    assert orphan_files() == []


def test_the_command_lists_without_deleting_on_dry_run(flow, capsys):
    orphan = default_storage.save("cases/2026/12/left-behind.pdf", ContentFile(b"%PDF-1.4\n"))
    _aged(orphan, 3)
    call_command("media_sweep", "--dry-run")
    assert orphan in capsys.readouterr().out and default_storage.exists(orphan)
    call_command("media_sweep")
    assert "1 orphan file(s) deleted" in capsys.readouterr().out
    assert not default_storage.exists(orphan)
