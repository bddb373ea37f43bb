"""Regions in the admin: list by level, search by code or name, and boundary edits checked with `parse_geometry`.

A saved boundary bumps `geometry_version` (cases keep the version they were located with) and invalidates the
grid index, which also retires the map's cached polygons (gridsafe.web.map_views keys them on its version)."""

from django import forms
from django.contrib import admin
from shapely.geometry import shape

from gridsafe.accounts.admin import AuditedAdmin, SystemAdminOnly
from gridsafe.core import clock
from gridsafe.core.errors import ValidationFailed
from gridsafe.regions.geometry import parse_geometry, to_geojson
from gridsafe.regions.models import Region, RegionGeometryVersion, RegionLevel
from gridsafe.regions.services import region_save

CODE_LENGTH = {
    RegionLevel.CITY: 6,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GRID: 15,
}


class RegionForm(forms.ModelForm):
    geometry = forms.JSONField(
        label="边界（GeoJSON，WGS-84 经纬度）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100, "spellcheck": "false"}),
        help_text="Polygon 或 MultiPolygon（也可以是包含它们的 Feature），坐标顺序为 [经度, 纬度]。保存前会检查边界是否有效。",
    )

    class Meta:
        model = Region
        fields = ("code", "name", "level", "parent", "urban_class", "grid_kind", "official", "is_active", "geometry")

    def clean_geometry(self):
        value = self.cleaned_data.get("geometry")
        if value in (None, "", {}):
            return None
        try:
            geom = parse_geometry(value)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.detail) from None
        self._parsed_geometry = geom
        return to_geojson(geom)

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            return data  # code, level and parent are fixed once a region exists (paths hang on them)
        code, level, parent = data.get("code"), data.get("level"), data.get("parent")
        if not code or level is None:
            return data
        if not code.isdigit() or len(code) != CODE_LENGTH.get(level):
            self.add_error("code", f"该层级的区划代码应为 {CODE_LENGTH.get(level)} 位数字")
        elif level == RegionLevel.CITY:
            if parent is not None or not code.endswith("00"):
                self.add_error("code", "市级区划代码以 00 结尾，且没有上级")
        elif level == RegionLevel.COUNTY:  # stands alone, or under its city (GB/T 2260: the same first four digits)
            if parent is not None and (parent.level != RegionLevel.CITY or parent.code[:4] != code[:4]):
                self.add_error("parent", "县级区划的上级只能是它所属的市（代码前四位相同），也可以没有上级")
        elif parent is None or parent.level != level - 1 or not code.startswith(parent.code):
            self.add_error("parent", "上级必须是上一层级、且区划代码是本代码前缀的区划")
        return data


class GeometryVersionInline(admin.TabularInline):
    """The boundaries a region has had (gridsafe import regions opens a new one when a boundary changes): read only."""

    model = RegionGeometryVersion
    fields = ("version", "valid_from", "valid_to")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-version",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(SystemAdminOnly, AuditedAdmin):
    form = RegionForm
    inlines = (GeometryVersionInline,)
    list_display = ("name", "code", "level", "parent", "urban_class", "grid_kind", "geometry_version", "is_active")
    list_filter = ("level", "is_active", "official", "urban_class", "grid_kind")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    ordering = ("path",)
    list_per_page = 100
    autocomplete_fields = ("parent",)
    fieldsets = (
        (None, {"fields": ("code", "name", "level", "parent", "path")}),
        ("属性", {"fields": ("urban_class", "grid_kind", "official", "is_active")}),
        ("边界", {"fields": ("geometry_summary", "geometry", "geometry_version", "center_lon", "center_lat")}),
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["path", "geometry_summary", "geometry_version", "center_lon", "center_lat"]
        if obj is not None:
            readonly += ["code", "level", "parent"]
        return readonly

    def has_delete_permission(self, request, obj=None):
        return False  # cases, units and places point at regions: retire one with 启用 off instead

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name in ("regions_region_changelist", "autocomplete"):
            queryset = queryset.defer("geometry")  # boundaries are heavy and not shown in lists
        return queryset

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        field = request.GET.get("field_name")
        if request.GET.get("model_name") == "user" and field == "grids":
            queryset = queryset.filter(level=RegionLevel.GRID, is_active=True)  # grid workers hold unit grids
        elif field == "parent":
            queryset = queryset.filter(level__lt=RegionLevel.GRID)
        return queryset, may_have_duplicates

    @admin.display(description="边界概况")
    def geometry_summary(self, obj):
        if obj is None or not obj.geometry:
            return "—（无边界）"
        geom = shape(obj.geometry)
        minx, miny, maxx, maxy = geom.bounds
        vertices = (
            len(geom.exterior.coords)
            if geom.geom_type == "Polygon"
            else sum(len(p.exterior.coords) for p in geom.geoms)
        )
        return f"{geom.geom_type}，{vertices} 个顶点，范围 经度 {minx:.5f}–{maxx:.5f}，纬度 {miny:.5f}–{maxy:.5f}"

    def save_model(self, request, obj, form, change):
        if not change and obj.parent_id and obj.level > RegionLevel.COUNTY:
            obj.path = f"{obj.parent.path}.{obj.code[-3:]}"
        elif not change:
            obj.path = obj.code
        if "geometry" in form.changed_data:
            if change:
                obj.geometry_version += 1
            geom = getattr(form, "_parsed_geometry", None)
            if geom is not None:
                point = geom.representative_point()
                obj.center_lon, obj.center_lat = round(point.x, 6), round(point.y, 6)
            else:
                obj.center_lon = obj.center_lat = None
        super().save_model(request, obj, form, change)
        if "geometry" in form.changed_data and obj.geometry:  # the old boundary stays on record with its dates
            now = clock.now()
            RegionGeometryVersion.objects.filter(region=obj, valid_to__isnull=True).update(valid_to=now)
            RegionGeometryVersion.objects.update_or_create(
                region=obj,
                version=obj.geometry_version,
                defaults={"geometry": obj.geometry, "valid_from": now, "valid_to": None},
            )

    def save_object(self, request, obj, form):
        region_save(obj)  # point → grid lookups, the map's polygons, routing and token lookups see the edit
