"""gridsafe import units|people|teams|places|regions FILE [--dry-run] [--deactivate-missing]
gridsafe import template KIND > FILE.xlsx"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridsafe.core.importing import ImportReport
from gridsafe.core.jobs import TerminalProgress
from gridsafe.ops.imports import kinds


class Command(BaseCommand):
    help = (
        "导入县里的数据（区划、单位、人员、巡逻队、监管对象）：先检查，全部无误才写入（全部或全不）；"
        "--dry-run 只检查不写入。`import template KIND > FILE.xlsx` 输出带中文表头、下拉列表和示例行的模板。"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="regions | units | people | teams | places | cameras | template")
        parser.add_argument("file", help="the file to import (for template: the kind)")
        parser.add_argument("--dry-run", action="store_true", help="只检查、报告问题，不写入")
        parser.add_argument(
            "--deactivate-missing", action="store_true", help="停用文件中没有列出的人员（或单位、巡逻队、场所）"
        )
        parser.add_argument("--report", help="把问题标注在上传文件的副本中，写到这个 XLSX 文件")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度")

    def handle(self, *args, kind, file, dry_run, deactivate_missing, report, quiet_progress, **options):
        table = kinds()
        if kind == "template":
            spec = table.get(file)
            if spec is None or spec.template is None:
                raise CommandError(
                    f"没有「{file}」的模板，可选：{'、'.join(k for k, s in table.items() if s.template)}"
                )
            data = spec.template()
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        spec = table.get(kind)
        if spec is None:
            raise CommandError(f"不认识的导入类型「{kind}」，可选：{'、'.join(table)}、template")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        if deactivate_missing and not spec.deactivates:
            raise CommandError(f"{spec.label}导入不支持 --deactivate-missing")
        progress = None if quiet_progress else TerminalProgress(self.stderr._out, spec.label)
        kwargs = {"dry_run": dry_run, "progress": progress}
        if spec.deactivates:
            kwargs["deactivate_missing"] = deactivate_missing
        result: ImportReport = spec.run(path, **kwargs)
        if progress is not None:
            progress.end()
        for problem in result.problems:
            self.stdout.write(str(problem))
        if report:
            from gridsafe.core.importing import marked_workbook

            Path(report).write_bytes(marked_workbook(path, result))
            self.stdout.write(f"问题报告已写入 {report}")
        line = f"{spec.label}：{result.summary()}"
        if not result.ok:
            raise CommandError(f"{line}。文件有问题，未写入任何数据")
        self.stdout.write(self.style.SUCCESS(line))
