from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    CITY = 0, _("City")  # 地级市 above several counties; each county keeps its own path tree (see Region)
    COUNTY = 1, _("County")
    TOWNSHIP = 2, _("Township / street")
    VILLAGE = 3, _("Village / community")
    GRID = 4, _("Unit grid")


class GridKind(models.TextChoices):
    """A unit grid's kind: the standard territorial grid, or a 专属网格 (market, park, enterprise; domain.md §2)."""

    STANDARD = "standard", _("Standard grid (标准网格)")
    MARKET = "market", _("Market grid (专属网格·市场)")
    PARK = "park", _("Park grid (专属网格·园区)")
    ENTERPRISE = "enterprise", _("Enterprise grid (专属网格·企业)")


class RegionQuerySet(models.QuerySet["Region"]):
    def subtree(self, path: str):
        """The node at `path` and every node below it: one indexed prefix scan, no recursion."""
        return self.filter(models.Q(path=path) | models.Q(path__startswith=path + "."))

    def grids(self):
        return self.filter(level=RegionLevel.GRID)


class Region(models.Model):
    """A node of the 县 → 乡镇 → 村居 → 网格 tree. `path` is the materialised path of code segments
    (350322.101.205.001), so a 辖区 is `path` plus every path starting with `path + "."`.

    A city (市, level CITY, path = its code 350300) may stand above several counties: it is each county's `parent`,
    but a county's path stays its own code, so adding a city never moves a county's paths (cases, rollups and
    tokens keep them). The city's 辖区 is its own path plus its counties' paths (`jurisdiction_paths`)."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=60)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent region"),
    )
    path = models.CharField(_("materialised path"), max_length=64, unique=True)
    # 城乡分类代码 (111 主城区 … 220 村庄); decides 城区/集镇/农村 time limits.
    urban_class = models.CharField(_("urban-rural class"), max_length=3, blank=True)
    geometry = models.JSONField(_("boundary (GeoJSON, WGS-84)"), null=True, blank=True)
    center_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    grid_kind = models.CharField(
        _("grid kind"), max_length=20, choices=GridKind.choices, blank=True
    )  # standard / 专属网格 (market, park, enterprise)
    geometry_version = models.PositiveIntegerField(_("boundary version"), default=1)
    official = models.BooleanField(_("official code"), default=True)  # False for internal codes (管委会 9xx)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "path"], name="region_level_path"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestor_paths(self) -> list[str]:
        """Paths of this node and its ancestors, county first."""
        parts = self.path.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]

    def is_within(self, path: str) -> bool:
        return self.path == path or self.path.startswith(path + ".")


class RegionGeometryVersion(models.Model):
    """One boundary of a region and when it was in force. The current one has `valid_to` empty and the same
    `version` as `Region.geometry_version`; a case keeps the grid version it was reported in (`Case.grid_version`),
    so its grid's boundary then is here after a re-import changed it."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="geometry_versions")
    version = models.PositiveIntegerField(_("version"))
    geometry = models.JSONField(_("boundary (GeoJSON, WGS-84)"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("region boundary version")
        verbose_name_plural = _("region boundary versions")
        constraints = [models.UniqueConstraint(fields=["region", "version"], name="region_geometry_version_unique")]

    def __str__(self) -> str:
        return f"{self.region_id} v{self.version}"
