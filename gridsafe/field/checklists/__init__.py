"""检查表 — writing, versioning and publishing the checklists of the field app (domain.md §8), without a shell:
services (one per action, audited), the database guard that keeps a published version frozen, the XLSX import and
export, and the editor pages for the county centre's configuration roles."""
