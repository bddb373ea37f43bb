"""Forms parse; they hold no rules. The filter form turns query strings into `CaseFilters`; each action form turns a
POST into the keyword arguments of the service in `ACTION_SERVICES`. Every action form carries the case version
seen and a request id minted when the form was rendered, so a double submit is a repeat, never a second action."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from gridsafe.cases.models import Light, Source
from gridsafe.cases.selectors import CaseFilters
from gridsafe.cases.services import RETURN_REASONS, SUBMIT_METHODS, VOID_REASONS
from gridsafe.cases.transitions import Action, Closure, State
from gridsafe.catalog.categories import category_choices, domain_choices
from gridsafe.catalog.models import Grade
from gridsafe.core.input import InputForm
from gridsafe.web.selectors import QUEUES


def _choices(choices, blank: str = "全部") -> list[tuple[str, str]]:
    """A filter's options: the model choices' own names (one vocabulary), after a blank "any"."""
    return [("", blank), *((str(value), label) for value, label in choices if value != "")]


class FlatChoices(BaseChoiceIterator):
    """Choices already as (value, label) pairs of strings. A county's 344 regions went through Django's
    normalize_choices (a recursive walk of every pair) on each list page: half of the filter form's CPU."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


ORDER_LABELS = {"newest": "最新上报", "oldest": "最早上报", "due": "期限最近", "updated": "最近更新"}


class CaseFilterForm(InputForm):
    q = forms.CharField(required=False, max_length=50, label="关键词")
    region = forms.ChoiceField(required=False, label="区域")
    domain = forms.ChoiceField(required=False, label="领域")
    category = forms.ChoiceField(required=False, label="类别")
    state = forms.ChoiceField(required=False, label="状态", choices=_choices(State.choices))
    closure = forms.ChoiceField(required=False, label="结案方式", choices=_choices(Closure.choices))
    grade = forms.ChoiceField(required=False, label="等级", choices=_choices(Grade.choices))
    light = forms.ChoiceField(required=False, label="红黄灯", choices=_choices(Light.choices))
    source = forms.ChoiceField(required=False, label="来源", choices=_choices(Source.choices))
    created_from = forms.DateField(required=False, label="上报起", widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(required=False, label="上报止", widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ChoiceField(
        required=False, label="待办", choices=_choices([(k, q.label) for k, q in QUEUES.items()], blank="不限")
    )
    order = forms.ChoiceField(required=False, label="排序", choices=list(ORDER_LABELS.items()))
    future_fields = ("created_from", "created_to")  # query bounds: the wider window, and a bounded range
    ranges = (("created_from", "created_to"),)

    def __init__(self, *args, regions=(), **kwargs):
        """No query: the catalogue's choices and `regions` come from in-process caches."""
        super().__init__(*args, **kwargs)
        indent = {1: "", 2: "\u3000", 3: "\u3000\u3000", 4: "\u3000\u3000\u3000"}
        self.fields["region"].choices = FlatChoices(
            [("", "全部辖区"), *((r.code, f"{indent.get(r.level, '')}{r.name}") for r in regions)]
        )
        self.fields["domain"].choices = [("", "全部"), *domain_choices()]
        self.fields["category"].choices = [("", "全部"), *category_choices()]

    def filters(self) -> CaseFilters:
        data = self.cleaned_data
        return CaseFilters(
            state=data.get("state") or None,
            region=data.get("region") or None,
            domain=data.get("domain") or None,
            category=data.get("category") or None,
            light=data.get("light") or None,
            closure=data.get("closure") or None,
            grade=data.get("grade") or None,
            source=data.get("source") or None,
            q=(data.get("q") or "").strip() or None,
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )

    @property
    def ordering(self) -> str:
        return self.cleaned_data.get("order") or "newest"

    @property
    def queue_key(self) -> str | None:
        return self.cleaned_data.get("queue") or None

    def active(self) -> dict:
        """The filters in force, for the export's audit row (JSON-safe)."""
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.cleaned_data.items() if v}


# ---------------------------------------------------------------- action forms


class ActionForm(InputForm):
    """The common part: the version the user saw and one request id per rendered form."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    request_id = forms.UUIDField(widget=forms.HiddenInput)
    files_field: str | None = None  # a file input whose files are stored (attachment_add) before the service runs
    files_role = "after"
    fields_for_service: tuple[str, ...] = ()

    def __init__(self, *args, case=None, actor=None, **kwargs):
        self.case = case
        self.actor = actor
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_id", uuid.uuid4())
            if case is not None:
                self.initial.setdefault("version", case.version)

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields_for_service}


def _text(label: str, *, required: bool = True, initial: str = "", rows: int = 2, max_length: int = 2000):
    return forms.CharField(
        label=label,
        required=required,
        initial=initial,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class AssignForm(ActionForm):
    handler_id = forms.TypedChoiceField(label="处置人", required=False, coerce=int, empty_value=None)
    comment = _text("受理意见", required=False)
    fields_for_service = ("handler_id", "comment")

    def __init__(self, *args, handlers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler_id"].choices = [("", "本人自处理")] + [(u.pk, u.label) for u in handlers]


class EscalateForm(ActionForm):
    reason = _text("上报理由", initial="本级力量不能消除")
    target_level = forms.TypedChoiceField(
        label="上报至",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "上一级"), (3, "越级上报至县网格化中心")],
    )
    fields_for_service = ("reason", "target_level")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.case
        if case is None or not (case.is_major or case.urgent) or case.level >= 2:
            del self.fields["target_level"]
            self.fields_for_service = ("reason",)


class DispatchForm(ActionForm):
    department_id = forms.TypedChoiceField(label="主办部门", required=False, coerce=int, empty_value=None)
    co_department_ids = forms.TypedMultipleChoiceField(
        label="协办部门", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    due_at = forms.DateTimeField(
        label="处置期限",
        required=False,
        help_text="默认按类别处置时限，自签收起算",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    comment = _text("派遣意见", required=False)
    fields_for_service = ("department_id", "co_department_ids", "due_at", "comment")
    future_fields = ("due_at",)  # a deadline asked for

    def __init__(self, *args, departments=(), default_department=None, default_due=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department_id"].choices = [("", "按类别默认部门")] + [(d.pk, d.name) for d in departments]
        self.fields["co_department_ids"].choices = [(d.pk, d.name) for d in departments]
        if default_department and not self.is_bound:
            self.initial["department_id"] = default_department
        if default_due and not self.is_bound:
            self.initial["due_at"] = timezone.localtime(default_due).strftime("%Y-%m-%dT%H:%M")


class StartForm(ActionForm):
    comment = _text("签收意见", required=False)
    fields_for_service = ("comment",)


class ReturnForm(ActionForm):
    reason_code = forms.ChoiceField(label="回退原因", choices=list(RETURN_REASONS.items()))
    reason = _text("回退说明")
    fields_for_service = ("reason_code", "reason")


class SubmitForm(ActionForm):
    method = forms.ChoiceField(label="整改方式", choices=list(SUBMIT_METHODS.items()))
    measures = _text("整改措施", rows=3)
    photos = PhotosField(label="整改后照片", required=False)
    measures_5 = _text("五落实·措施", required=False)
    responsibility = _text("五落实·责任", required=False)
    funds = _text("五落实·资金", required=False)
    deadline = _text("五落实·时限", required=False)
    plan = _text("五落实·预案", required=False)
    files_field = "photos"
    files_role = "after"
    fields_for_service = ("method", "measures")
    FIVE = ("measures_5", "responsibility", "funds", "deadline", "plan")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is None or not self.case.is_major:
            for name in self.FIVE:
                del self.fields[name]

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["completed_at"] = timezone.now()
        if "plan" in self.fields:
            data = self.cleaned_data
            kwargs["five_implementations"] = {
                "measures": data.get("measures_5", ""),
                "responsibility": data.get("responsibility", ""),
                "funds": data.get("funds", ""),
                "deadline": data.get("deadline", ""),
                "plan": data.get("plan", ""),
            }
        return kwargs


class VerifyPassForm(ActionForm):
    comment = _text("核查意见", required=False, initial="现场核查，隐患已整改")
    photos = PhotosField(label="核查照片", required=False)
    files_field = "photos"
    files_role = "verification"
    fields_for_service = ("comment",)


class VerifyFailForm(ActionForm):
    reason = _text("不通过原因")
    photos = PhotosField(label="核查照片", required=False)
    files_field = "photos"
    files_role = "verification"
    fields_for_service = ("reason",)


class RequestExtensionForm(ActionForm):
    requested_due = forms.DateTimeField(
        label="申请期限至", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = _text("延期理由")
    fields_for_service = ("requested_due", "reason")
    future_fields = ("requested_due",)  # a deadline: up to five years ahead


class ApproveExtensionForm(ActionForm):
    comment = _text("审批意见", required=False)
    fields_for_service = ("comment",)


class RejectExtensionForm(ActionForm):
    reason = _text("驳回理由")
    fields_for_service = ("reason",)


class SuspendForm(ActionForm):
    reason = _text("挂账理由")
    review_date = forms.DateField(label="复核日期", widget=forms.DateInput(attrs={"type": "date"}))
    fields_for_service = ("reason", "review_date")
    future_fields = ("review_date",)


class ResumeForm(ActionForm):
    comment = _text("恢复说明", required=False)
    fields_for_service = ("comment",)


class VoidForm(ActionForm):
    reason_code = forms.ChoiceField(label="作废原因", choices=list(VOID_REASONS.items()))
    reason = _text("作废说明")
    fields_for_service = ("reason_code", "reason")


class MergeForm(ActionForm):
    master_id = forms.IntegerField(label="主隐患编号", min_value=1)
    comment = _text("说明", required=False)
    fields_for_service = ("master_id", "comment")


class TransferForm(ActionForm):
    external_body = forms.CharField(label="移交单位", max_length=100)
    external_ref = forms.CharField(label="对方受理编号", max_length=60)
    comment = _text("说明", required=False)
    fields_for_service = ("external_body", "external_ref", "comment")


class ReopenForm(ActionForm):
    reason = _text("重新打开原因")
    fields_for_service = ("reason",)


class SuperviseForm(ActionForm):
    level = forms.ChoiceField(
        label="督办级别", choices=[("normal", "普通督办"), ("yellow", "黄牌督办"), ("red", "红牌督办")]
    )
    instruction = _text("督办意见")
    fields_for_service = ("level", "instruction")


class ReplySupervisionForm(ActionForm):
    reply = _text("回复内容", rows=3)
    fields_for_service = ("reply",)


class UrgeForm(ActionForm):
    comment = _text("催办内容", initial="请尽快处置")
    fields_for_service = ("comment",)


class RegradeForm(ActionForm):
    grade = forms.ChoiceField(label="隐患等级", choices=Grade.choices)
    basis = _text("判定依据（标准、条款、项目）", rows=2, max_length=500)
    fields_for_service = ("grade", "basis")


class CommentForm(ActionForm):
    comment = _text("备注")
    photos = PhotosField(label="附件照片", required=False)
    files_field = "photos"
    files_role = "document"
    fields_for_service = ("comment",)


class RequestInfoForm(ActionForm):
    reason = _text("退回核实/补充说明", initial="请到现场核实并补充照片")
    worker_id = forms.TypedChoiceField(label="退回给", required=False, coerce=int, empty_value=None)
    fields_for_service = ("reason", "worker_id")

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker_id"].choices = [("", "上报人（或本网格网格员）")] + [(u.pk, u.label) for u in workers]


class SupplyInfoForm(ActionForm):
    answer = _text("核实补充内容", rows=3)
    photos = PhotosField(label="现场照片", required=False)
    files_field = "photos"
    files_role = "before"
    fields_for_service = ("answer",)


class AssistStartForm(ActionForm):
    comment = _text("签收意见", required=False)
    fields_for_service = ("comment",)


class AssistReportForm(ActionForm):
    report = _text("协办反馈（本单位处置情况）", rows=3)
    photos = PhotosField(label="处置照片", required=False)
    files_field = "photos"
    files_role = "after"
    fields_for_service = ("report",)


class CorrectForm(ActionForm):
    reason = _text("更正理由")
    category = forms.ChoiceField(label="隐患类别", required=False)
    lon = forms.FloatField(label="经度", required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label="纬度", required=False, min_value=-90, max_value=90)
    address = forms.CharField(label="地址", required=False, max_length=200)
    fields_for_service = ("reason", "category", "lon", "lat", "address")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "不更改"), *category_choices()]
        if self.case is not None and not self.is_bound:
            self.initial.update(lon=self.case.lon, lat=self.case.lat, address=self.case.address)

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs["category"] = kwargs.get("category") or None
        if kwargs.get("address") == "" and self.case is not None and not self.case.address:
            kwargs["address"] = None
        return kwargs


ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.ASSIGN: AssignForm,
    Action.ESCALATE: EscalateForm,
    Action.DISPATCH: DispatchForm,
    Action.START: StartForm,
    Action.RETURN: ReturnForm,
    Action.SUBMIT: SubmitForm,
    Action.VERIFY_PASS: VerifyPassForm,
    Action.VERIFY_FAIL: VerifyFailForm,
    Action.REQUEST_EXTENSION: RequestExtensionForm,
    Action.APPROVE_EXTENSION: ApproveExtensionForm,
    Action.REJECT_EXTENSION: RejectExtensionForm,
    Action.SUSPEND: SuspendForm,
    Action.RESUME: ResumeForm,
    Action.VOID: VoidForm,
    Action.MERGE: MergeForm,
    Action.TRANSFER: TransferForm,
    Action.REOPEN: ReopenForm,
    Action.SUPERVISE: SuperviseForm,
    Action.REPLY_SUPERVISION: ReplySupervisionForm,
    Action.URGE: UrgeForm,
    Action.COMMENT: CommentForm,
    Action.REGRADE: RegradeForm,
    Action.REQUEST_INFO: RequestInfoForm,
    Action.SUPPLY_INFO: SupplyInfoForm,
    Action.ASSIST_START: AssistStartForm,
    Action.ASSIST_REPORT: AssistReportForm,
    Action.CORRECT: CorrectForm,
}


# ---------------------------------------------------------------- 隐患登记 (the desk)

# The channels a desk registers by, in the words of the desk; each is the case's `source` (cases.Source).
REGISTER_CHANNELS = [
    (Source.HOTLINE.value, "12345 热线"),
    (Source.VIDEO.value, "视频巡查"),
    (Source.LEADER.value, "领导交办"),
    (Source.DEPARTMENT.value, "部门移送"),
    (Source.WALK_IN.value, "群众来访"),
]


class CaseRegisterForm(InputForm):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    source = forms.ChoiceField(label="来源渠道", choices=REGISTER_CHANNELS, widget=forms.RadioSelect)
    caller_name = forms.CharField(label="反映人姓名", required=False, max_length=50)
    caller_phone = forms.RegexField(
        label="联系电话",
        required=False,
        max_length=20,
        regex=r"^[0-9+\- ]{5,20}$",
        error_messages={"invalid": "请输入有效的电话号码"},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(label="隐患类别")
    description = _text("隐患描述", rows=4, max_length=4000)
    address = forms.CharField(label="地址", required=False, max_length=200)
    lon = forms.FloatField(label="经度", min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(label="纬度", min_value=-90, max_value=90, widget=forms.HiddenInput)
    start_level = forms.TypedChoiceField(label="起始层级", coerce=int)
    urgent = forms.BooleanField(label="紧急", required=False)
    photos = PhotosField(label="现场照片", required=False)

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "请选择"), *category_choices()]
        self.fields["start_level"].choices = list(levels)
        self.fields["lon"].error_messages["required"] = "请在地图上点选位置或搜索地点"
        self.fields["lat"].error_messages["required"] = "请在地图上点选位置或搜索地点"
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid.uuid4())
            self.initial.setdefault("source", Source.HOTLINE.value)
            if levels:
                self.initial.setdefault("start_level", levels[-1][0])
