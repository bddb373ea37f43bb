import os
import shlex
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from gridsafe.demo.world import DEMO_PASSWORD, NAMED_USERS
from gridsafe.hazards.demo import demo_logins as hazard_logins


class Command(BaseCommand):
    help = "Bring up the 仙游县 demo on SQLite: migrate, load, print the logins, serve on 127.0.0.1:PORT."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="load only, do not start the server")
        parser.add_argument("--cases", type=int, default=1500)
        parser.add_argument("--with-city", action="store_true", help="also 莆田市 and a second county, 荔城区")

    def handle(self, *args, port, no_serve, cases, with_city=False, **options):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        # The world first (seconds), so the pages open at once; the year of cases, patrols and bulletins after it:
        # in the foreground with --no-serve, else in the background while the server already answers.
        call_command("load_demo", cases=cases, with_city=with_city, world_only=not no_serve)
        self.stdout.write(self.style.SUCCESS(f"\n仙游县 demo ready · data in {settings.DATA_DIR}"))
        self.stdout.write(f"  API docs   http://127.0.0.1:{port}/api/v1/docs")
        self.stdout.write(f"  Admin      http://127.0.0.1:{port}/admin/")
        self.stdout.write(f"  Logins (password for all: {DEMO_PASSWORD}):")
        for username, display, role, _unit in NAMED_USERS:
            self.stdout.write(f"    {username:<15} {display:<8} {role.label}")  # 网格员, not grid_worker
        for username, display, label in hazard_logins():  # enterprise safety officers (issue 16)
            self.stdout.write(f"    {username:<15} {display:<8} {label}")
        if with_city:
            from gridsafe.demo.city import CITY_USERS

            for username, display, role, _unit in CITY_USERS:
                self.stdout.write(f"    {username:<15} {display:<8} {role.label}")
        if no_serve:
            return
        env = {**os.environ, "GRIDSAFE_DATA": str(settings.DATA_DIR)}
        gridsafe = shlex.join([sys.executable, "-m", "gridsafe.cli"])
        history = f"load_demo --skip-world --cases {int(cases)}" + (" --with-city" if with_city else "")
        # The worker (deadline sweep, oversight calendar) starts once the history is in: its sweep would otherwise
        # act at the real now on cases the loader is still walking through back-dated steps.
        subprocess.Popen(["sh", "-c", f"{gridsafe} {history} && exec {gridsafe} worker"], env=env)
        self.stdout.write(
            "  一年的隐患、巡查、检查与通报正在后台加载（数分钟），页面已可访问；加载完成后启动后台任务。"
        )
        call_command("serve", port=port)  # replaces this process (gunicorn); the loader and worker go on
