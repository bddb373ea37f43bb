"""`gridsafe` console script: `gridsafe demo [--port N] [--data DIR] [--no-serve]`, `gridsafe serve`,
`gridsafe worker`, plus every Django management command (`gridsafe migrate`, `gridsafe createsuperuser` …).
A hyphenated name that is no command runs the underscored one: `gridsafe check-deploy` is `check_deploy`."""

import os
import sys


def manage(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _command_name(name: str) -> str:
    """`check-deploy` for `check_deploy`: a hyphenated name that is no command is tried with underscores."""
    if "-" not in name or name.startswith("-"):
        return name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridsafe.settings")
    try:
        # Here, not at the top: only once DJANGO_SETTINGS_MODULE is set.
        import django
        from django.core.management import get_commands

        django.setup()
        commands = get_commands()
    except Exception:  # broken settings: let Django report them for the name as given
        return name
    underscored = name.replace("-", "_")
    return underscored if name not in commands and underscored in commands else name


def main() -> None:
    args = sys.argv[1:]
    # --data chooses where the SQLite file and media live; settings read it at import, so set it first.
    if "--data" in args:
        i = args.index("--data")
        if i + 1 < len(args):
            os.environ["GRIDSAFE_DATA"] = os.path.abspath(args[i + 1])
            del args[i : i + 2]
    if args:
        args[0] = _command_name(args[0])
        if args[0] == "help" and len(args) > 1:
            args[1] = _command_name(args[1])
    manage(["gridsafe", *args])


if __name__ == "__main__":
    main()
