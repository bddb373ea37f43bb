"""Indexes over open cases only, for the 待办 counts and lists at 10 M cases (bench/pages_at_scale).

Each B-tree condition names its own key column IS NOT NULL besides the open states (see the model's Meta), so the
planner uses it only for a query that filters on that column. The 临期 (due-soon) window, `yellow_at <= now <=
due_at`, is two ranges that neither a B-tree on yellow_at nor one on due_at narrows alone (each half holds most open
cases); a GiST index over the window as a range finds the cases whose window holds `now` directly
(`cases.selectors.in_yellow_window`). PostgreSQL only: on SQLite the plain comparisons are all there is. LEAST()
keeps the range valid for a row whose yellow time lies after its deadline (tstzrange refuses lower > upper); the
comparisons beside it keep the answer exact for such a row."""

from django.db import migrations, models

OPEN = models.Q(("state", "closed"), _negated=True)

YELLOW_WINDOW = (
    "CREATE INDEX IF NOT EXISTS case_open_yellow_window ON cases_case "
    "USING gist (tstzrange(LEAST(yellow_at, due_at), due_at, '[]')) "
    "WHERE NOT (state IN ('closed', 'suspended')) AND due_at IS NOT NULL AND yellow_at IS NOT NULL"
)


def create_window(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(YELLOW_WINDOW)


def drop_window(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_open_yellow_window")


class Migration(migrations.Migration):
    dependencies = [("cases", "0016_source_citizen")]

    operations = [
        migrations.RemoveIndex(model_name="case", name="case_open_due"),
        migrations.RemoveIndex(model_name="case", name="case_open_category_lat_in"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    models.Q(("state__in", ["closed", "suspended"]), _negated=True), ("due_at__isnull", False)
                ),
                fields=["due_at", "id"],
                name="case_open_due",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("state__in", ["pending_review", "dispatched", "handling", "suspended", "pending_verification"]),
                    ("category__isnull", False),
                ),
                fields=["category", "lat"],
                name="case_open_category_lat_in",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(OPEN, ("region_path__isnull", False)),
                fields=["region_path"],
                name="case_open_path",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(OPEN, ("reporter__isnull", False)), fields=["reporter"], name="case_open_reporter"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(OPEN, ("holder_unit__isnull", False)),
                fields=["holder_unit", "state"],
                name="case_open_holder",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(OPEN, ("department__isnull", False), ("dispatcher_unit__isnull", False)),
                fields=["dispatcher_unit", "state"],
                name="case_open_dispatcher",
            ),
        ),
        migrations.RunPython(create_window, drop_window, elidable=False),
    ]
