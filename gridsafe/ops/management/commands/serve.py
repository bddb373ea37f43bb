import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve GridSafe with gunicorn (several workers; stateless, so several hosts can sit behind a balancer)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("GRIDSAFE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GRIDSAFE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDSAFE_WORKERS", "3")))

    def handle(self, *args, host, port, workers, **options):
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "gridsafe.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--timeout",
            "60",
            # gunicorn's default of 2 s closes idle connections so soon that a client reusing one at that moment gets
            # a reset (bench/load saw a few per 20 000 requests); 5 s sits under nginx's and browsers' own timeouts.
            "--keep-alive",
            "5",
        ]
        os.execv(sys.executable, argv)
