from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from jiuzhu.verification.catalog import sync_catalog
from jiuzhu.verification.demo import DEMO_COUNTY, load_demo_sources, write_department_files


class Command(BaseCommand):
    help = "生成演示用部门数据文件（在册家庭和非在册人员；含常见格式差异和“错误示例”文件）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default="var/department_files", help="输出目录")
        parser.add_argument("--county", default=DEMO_COUNTY)
        parser.add_argument("--outsiders", type=int, default=150, help="非在册人员数")
        parser.add_argument("--load", action="store_true", help="同时把无错误的文件作为批次入库")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["load"]:
            counts = load_demo_sources(Path(options["out"]))
            self.stdout.write(f"已入库{counts['batches']}个批次；{counts['authorized_households']}户已签署授权书")
            return
        sync_catalog()
        for f in write_department_files(Path(options["out"]), county=options["county"], outsiders=options["outsiders"]):
            kind = "错误示例" if f.defective else "可入库"
            self.stdout.write(f"{f.path}（{f.rows}行，{kind}）")
