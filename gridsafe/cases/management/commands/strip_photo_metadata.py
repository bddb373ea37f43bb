"""`gridsafe strip_photo_metadata` — remove EXIF GPS, device and author from originals stored before intake did it."""

from django.core.management.base import BaseCommand

from gridsafe.cases.originals import originals_strip_metadata


class Command(BaseCommand):
    help = (
        "Rewrite every stored original photo and video without identifying metadata (EXIF GPS, make/model, author, "
        "XMP, IPTC; QuickTime location). Idempotent: files with nothing to remove are not touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count the files that would change")

    def handle(self, *args, dry_run=False, **options):
        def progress(label: str, done: int, total: int) -> None:
            self.stdout.write(f"{label}: {done}/{total}")

        results = originals_strip_metadata(dry_run=dry_run, progress=progress)
        verb = "would be stripped" if dry_run else "stripped"
        for label, counts in results.items():
            self.stdout.write(
                f"{label}: {counts.checked} checked, {counts.stripped} {verb}, {counts.already_clean} already clean, "
                f"{counts.missing} missing"
            )
        if any(c.missing for c in results.values()):
            self.stderr.write(
                "Some files are missing from storage; `gridsafe restore` / the backup drill reports them."
            )
