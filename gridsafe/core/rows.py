"""Literal SQL for the few statements that run on every hazard report, with the ORM's own value conversion.

Building and compiling a query costs the ORM 0.4–1 ms of CPU each time, about ten times what running a literal
statement costs (bench/profile_intake.py); on intake that was most of the request. These helpers keep the ORM's
meaning — the same columns, `get_db_prep_save` on the way in, the backend's and the field's converters on the way
out, `Model.from_db` for instances — and build each statement's text once per shape. Everything else uses the ORM.

No signals are sent and no `save()` override runs: use them only for models that have neither (our rule anyway),
and keep one test per caller that reads the row back through the ORM."""

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db import connections, transaction
from django.db.models import Model

M = TypeVar("M", bound=Model)

_statements: dict[tuple, str] = {}
_converters: dict[tuple, list] = {}


def qn(name: str, using: str = "default") -> str:
    """The quoted identifier for this database."""
    return connections[using].ops.quote_name(name)


def in_model_order(model: type[Model], fields: Sequence[str]) -> list:
    """The fields in the model's column order, the order `Model.from_db` takes a partial row in."""
    wanted = {model._meta.get_field(f) for f in fields}
    return [f for f in model._meta.concrete_fields if f in wanted]


def columns(model: type[Model], fields: Sequence[str], alias: str, using: str = "default") -> str:
    """The select list `"alias"."column", …` for these fields (names or attnames, e.g. `case_id`), in the model's
    column order: read the row back with `instance()`."""
    return ", ".join(f"{qn(alias, using)}.{qn(f.column, using)}" for f in in_model_order(model, fields))


def comma_list(subquery: str, using: str = "default") -> str:
    """A scalar subquery joining the values of `subquery`'s one column `v` with commas, ordered by v (NULL when
    there are none): lets one statement bring a short list along with its row (a worker's grids, a unit's desk)."""
    if connections[using].vendor == "postgresql":
        return f"(SELECT string_agg(CAST(s.v AS text), ',' ORDER BY s.v) FROM ({subquery}) s)"
    return f"(SELECT group_concat(s.v, ',') FROM ({subquery} ORDER BY 1) s)"


_KEEP_ROWS = 64  # statements for more rows than this are rare (a big fan-out): built, not kept


def statement(key: tuple, build, using: str = "default", *, keep: bool = True) -> str:
    """The statement text for `key`, built by `build()` the first time per database vendor (each time if not keep)."""
    full_key = (connections[using].vendor, *key)
    sql = _statements.get(full_key)
    if sql is None:
        sql = build()
        if keep:
            _statements[full_key] = sql
    return sql


def instance(model: type[M], fields: Sequence[str], values: Sequence, using: str = "default") -> M:
    """A model instance from the values of `columns(model, fields, …)` (same fields, that order); fields not
    selected load on first access."""
    connection = connections[using]
    key = (connection.vendor, model, tuple(fields))
    plan = _converters.get(key)
    if plan is None:
        plan = []
        for field in in_model_order(model, fields):
            column = field.get_col(model._meta.db_table)
            plan.append(
                (field.attname, column, connection.ops.get_db_converters(column) + field.get_db_converters(connection))
            )
        _converters[key] = plan
    converted = []
    for value, (_attname, column, converters) in zip(values, plan, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(using, [attname for attname, _c, _f in plan], converted)


def db_values(obj: Model, fields: Sequence, connection) -> list:
    """What the ORM's save sends for each field: `get_db_prep_save(pre_save(obj))`, the full conversion (a
    shortcut for plain values bought 0.3 ms of a report's CPU, within the noise of bench/intake: removed)."""
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def insert(obj: M, using: str = "default") -> M:
    """INSERT one new instance (its defaults already applied by the constructor) and set its primary key."""
    model = type(obj)
    connection = connections[using]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key or getattr(obj, f.attname) is not None]

    def build() -> str:
        names = ", ".join(qn(f.column, using) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        returning = (
            f" RETURNING {qn(meta.pk.column, using)}" if connection.features.can_return_columns_from_insert else ""
        )
        return f"INSERT INTO {qn(meta.db_table, using)} ({names}) VALUES ({marks}){returning}"

    sql = statement(("insert", model, tuple(f.attname for f in fields)), build, using)
    params = db_values(obj, fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            pk = cursor.fetchone()[0]
        else:  # pragma: no cover - every backend we run returns columns from INSERT
            pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    setattr(obj, meta.pk.attname, pk)
    obj._state.adding = False
    obj._state.db = using
    return obj


def insert_values(
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    ignore_conflicts: bool = False,
    using: str = "default",
) -> int:
    """INSERT these rows (values in `fields` order) in one statement; with ignore_conflicts a row that breaks a
    unique constraint is skipped (ON CONFLICT DO NOTHING). Returns the number of rows sent."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[using]
    model_fields = [model._meta.get_field(f) for f in fields]

    def build() -> str:
        names = ", ".join(qn(f.column, using) for f in model_fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        return (
            f"INSERT INTO {qn(model._meta.db_table, using)} ({names}) VALUES {', '.join([one] * len(rows))}{conflict}"
        )

    key = ("insert_values", model, tuple(fields), len(rows), ignore_conflicts)
    sql = statement(key, build, using, keep=len(rows) <= _KEEP_ROWS)
    params = [f.get_db_prep_save(value, connection) for row in rows for f, value in zip(model_fields, row, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(rows)


class Writes:
    """Writes that commit together, sent in as few round trips as the database allows.

    On PostgreSQL `run()` sends them as one statement: each write a data-modifying CTE, a later INSERT taking an
    earlier one's new primary key through a scalar subquery. One statement is atomic on its own, so outside a
    transaction it needs no BEGIN and no COMMIT: a hazard report is then one round trip instead of six
    (bench/intake). Elsewhere (SQLite) the writes run one after the other inside `transaction.atomic()`.

    The writes run in the order they were added, on PostgreSQL too: the statement's final SELECT reads every
    sub-statement's result in that order (PostgreSQL would run the sub-statements nobody reads last, in reverse
    order, and the rollup upserts must lock their rows in the order every case action does, or two could
    deadlock). Every sub-statement sees the snapshot the statement started with, so no write may read another's
    rows (a foreign key to an earlier INSERT is checked at the end of the statement, as usual)."""

    def __init__(self, using: str = "default"):
        self.using = using
        self._parts: list[tuple] = []  # ("insert", obj, fields, refs) | ("sql", key, build, params)

    def insert(self, obj: M, refs: dict[str, Model] | None = None) -> M:
        """Queue an INSERT of `obj` (defaults applied by its constructor). `refs` maps a foreign key's name to an
        object queued earlier here, whose new primary key it takes. `obj`'s own key is set by `run()`."""
        refs = refs or {}
        queued = {id(part[1]) for part in self._parts if part[0] == "insert"}
        if any(id(target) not in queued for target in refs.values()):
            raise ValueError("a reference must name an object queued earlier in the same Writes")
        fields = [f for f in obj._meta.concrete_fields if not f.primary_key or getattr(obj, f.attname) is not None]
        self._parts.append(("insert", obj, fields, refs))
        return obj

    def sql(self, key: tuple, build, params: list) -> None:
        """Queue an INSERT, UPDATE or DELETE without RETURNING (an upsert), its text built by `build()` once per
        `key`."""
        self._parts.append(("sql", key, build, params))

    def run(self) -> None:
        connection = connections[self.using]
        if not self._parts:
            return
        if connection.vendor != "postgresql":
            with transaction.atomic(using=self.using):
                self._run_one_by_one(connection)
            return
        if connection.in_atomic_block:
            # Inside a caller's transaction: a savepoint, so a refused write (a unique key) leaves it usable.
            with transaction.atomic(using=self.using):
                self._run_as_one(connection)
        else:
            self._run_as_one(connection)

    def _run_one_by_one(self, connection) -> None:
        for part in self._parts:
            if part[0] == "insert":
                _kind, obj, _fields, refs = part
                for name, target in refs.items():
                    setattr(obj, name, target)  # its key, now that it has one
                insert(obj, self.using)
            else:
                _kind, key, build, params = part
                with connection.cursor() as cursor:
                    cursor.execute(statement(key, build, self.using), params)

    def _run_as_one(self, connection) -> None:
        inserts = [(i, part) for i, part in enumerate(self._parts) if part[0] == "insert"]
        names = {id(part[1]): f"w{i}" for i, part in inserts}
        params: list = []
        for part in self._parts:
            if part[0] == "insert":
                _kind, obj, fields, refs = part
                params += db_values(obj, [f for f in fields if f.name not in refs], connection)
            else:
                params += part[3]
        key = ("writes", *(self._shape(part, names) for part in self._parts))
        with connection.cursor() as cursor:
            cursor.execute(statement(key, lambda: self._as_one_sql(names), self.using), params)
            results = cursor.fetchone()
        for i, (_kind, obj, _fields, refs) in inserts:
            setattr(obj, obj._meta.pk.attname, results[i])
            for name, target in refs.items():
                setattr(obj, name, target)  # the earlier inserts have their keys by now (list order)
            obj._state.adding = False
            obj._state.db = self.using

    @staticmethod
    def _shape(part: tuple, names: dict[int, str]) -> tuple:
        if part[0] == "insert":
            _kind, obj, fields, refs = part
            return (
                type(obj),
                tuple(f.attname for f in fields),
                tuple(sorted((f, names[id(t)]) for f, t in refs.items())),
            )
        return part[1]

    def _as_one_sql(self, names: dict[int, str]) -> str:
        using = self.using
        ctes, results = [], []
        for i, part in enumerate(self._parts):
            if part[0] == "insert":
                _kind, obj, fields, refs = part
                meta = obj._meta
                values = [
                    f"(SELECT {qn(refs[f.name]._meta.pk.column, using)} FROM {names[id(refs[f.name])]})"
                    if f.name in refs
                    else "%s"
                    for f in fields
                ]
                body = (
                    f"INSERT INTO {qn(meta.db_table, using)} ({', '.join(qn(f.column, using) for f in fields)}) "
                    f"VALUES ({', '.join(values)}) RETURNING {qn(meta.pk.column, using)}"
                )
                results.append(f"(SELECT {qn(meta.pk.column, using)} FROM w{i})")
            else:
                body = f"{part[2]()} RETURNING 1"
                results.append(f"(SELECT count(*) FROM w{i})")  # read, so that it runs in its place
            ctes.append(f"w{i} AS ({body})")
        return f"WITH {', '.join(ctes)} SELECT {', '.join(results)}"
