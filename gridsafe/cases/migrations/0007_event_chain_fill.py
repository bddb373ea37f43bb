"""Chain every event that existed before the chain, case by case in (created_at, id) order, so that there is no
"legacy" category: `gridsafe audit verify` reports any event without a valid place in its case's chain.

The triggers refuse UPDATE, so they are dropped first (on SQLite 0006's rebuild already dropped them) and 0008
re-creates them. Rows are read in batches of cases; each event is written with one UPDATE by primary key."""

from django.db import migrations

from gridsafe.cases.chain import event_seal
from gridsafe.core.appendonly import triggers_drop

BATCH = 500


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    triggers_drop(schema_editor.connection, ["cases_caseevent"])
    last_pk = 0
    while True:
        cases = list(Case.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "client_id")[:BATCH])
        if not cases:
            return
        last_pk = cases[-1][0]
        keys = dict(cases)
        events = CaseEvent.objects.filter(case_id__in=keys).order_by("case_id", "created_at", "id")
        heads: dict[int, tuple[int, str]] = {}
        for event in events.iterator(chunk_size=2000):
            seq, head = heads.get(event.case_id, (0, ""))
            head = event_seal(event, case_key=keys[event.case_id], head_seq=seq, head_hash=head)
            CaseEvent.objects.filter(pk=event.pk).update(seq=event.seq, prev_hash=event.prev_hash, hash=event.hash)
            heads[event.case_id] = (event.seq, head)
        for case_id, (seq, head) in heads.items():
            Case.objects.filter(pk=case_id).update(event_seq=seq, event_head=head)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_event_chain"), ("core", "0004_audit_chain_no_legacy")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
