"""The video app's admin pages speak Chinese (the check of ops/tests/test_admin_chinese.py, on pages with video rows:
a camera, a gateway, an alarm-type mapping, an alarm), for the administrators who open them."""

import pytest
from django.contrib import admin

from gridsafe.accounts.models import Role
from gridsafe.catalog.models import Category
from gridsafe.ops.tests.test_admin_chinese import Checker, _staff, choice_codes, walk
from gridsafe.video.models import AlarmTypeRule
from gridsafe.video.services import AlarmIn, alarm_receive, gateway_create
from gridsafe.video.tests.helpers import camera_in


@pytest.mark.parametrize("role", [None, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN])
def test_video_admin_pages_are_chinese(client, people, settings, tmp_path, role):
    settings.GRIDSAFE_2FA_REQUIRED = False
    settings.MEDIA_ROOT = tmp_path / "media"
    gateway, _secret = gateway_create(name="县公安视频专网网关")
    AlarmTypeRule.objects.create(type="消防通道占用", category=Category.objects.get(code="fire-escape-blocked"))
    camera = camera_in("南溪村")
    from gridsafe.core import clock

    alarm_receive(
        gateway_id=gateway.pk,
        alarm=AlarmIn(
            alarm_id="X-1",
            camera_id=camera.channel_id,
            type="人员聚集",
            occurred_at=clock.now(),
            confidence=0.6,
            snapshot="",
        ),
    )
    client.force_login(people["admin"] if role is None else _staff(f"walk-video-{role}", role))
    checker = Checker(codes=choice_codes())
    video = [model for model in admin.site._registry if model._meta.app_label == "video"]  # the pages judged below
    opened = walk(client, checker, models=video)
    mine = [f for f in checker.findings if f.page.startswith("/admin/video/") and f.part != "sidebar"]
    assert any(page.startswith("/admin/video/") for page in opened)
    assert not mine, "\n".join(f"{f.page} [{f.part}] {f.text!r}: {f.why}" for f in mine)
