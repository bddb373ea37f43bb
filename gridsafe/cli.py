"""`gridsafe` console script: `gridsafe demo [--port N] [--data DIR] [--no-serve]`, `gridsafe serve`,
`gridsafe worker`, plus every Django management command (`gridsafe migrate`, `gridsafe createsuperuser` …)."""

import os
import sys


def manage(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def main() -> None:
    args = sys.argv[1:]
    # --data chooses where the SQLite file and media live; settings read it at import, so set it first.
    if "--data" in args:
        i = args.index("--data")
        if i + 1 < len(args):
            os.environ["GRIDSAFE_DATA"] = os.path.abspath(args[i + 1])
            del args[i : i + 2]
    manage(["gridsafe", *args])


if __name__ == "__main__":
    main()
