from django.urls import path

from gridsafe.field.checklists import views

app_name = "checklists"
urlpatterns = [
    path("", views.checklist_list, name="list"),
    path("new/", views.checklist_new, name="new"),
    path("template.xlsx", views.checklist_template_xlsx, name="template_xlsx"),
    path("<int:template_id>/", views.checklist_version, name="version"),
    path("<int:template_id>/header/", views.checklist_header, name="header"),
    path("<int:template_id>/items/", views.checklist_items, name="items"),
    path("<int:template_id>/items/row/", views.checklist_blank_row, name="blank_row"),
    path("<int:template_id>/publish/", views.checklist_publish_view, name="publish"),
    path("<int:template_id>/revise/", views.checklist_revise, name="revise"),
    path("<int:template_id>/retire/", views.checklist_retire_view, name="retire"),
    path("<int:template_id>/discard/", views.checklist_discard, name="discard"),
    path("<int:template_id>/preview/", views.checklist_preview, name="preview"),
    path("<int:template_id>/export.xlsx", views.checklist_export, name="export"),
    path("<int:template_id>/import/", views.checklist_import, name="import"),
]
