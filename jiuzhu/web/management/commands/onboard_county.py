"""manage.py onboard_county DIR [--check] [--dry-run] [--passwords FILE] (issue 16 item 5)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuzhu.accounts.system import SystemActor
from jiuzhu.web import onboarding


class Command(BaseCommand):
    help = (
        "开通县（区）：从目录中的 areas.csv（区划）、staff.xlsx（工作人员）、county.yaml（文书、部门、项目、"
        "办理流程模式、低保标准）导入；--check 只列出尚缺的事项（有缺项时退出码为1）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="开通材料所在目录")
        parser.add_argument("--check", action="store_true", help="只检查：列出开办第一件申请前尚缺的事项，不写入")
        parser.add_argument("--dry-run", action="store_true", help="只校验并列出将要新建的内容，不写入")
        parser.add_argument(
            "--passwords",
            help="新账号初始密码写入的文件（默认：目录中的 initial-passwords-县代码-时间.csv；权限0600，不得已存在）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"])
        if not directory.is_dir():
            raise CommandError(f"目录{directory}不存在")
        if options["check"]:
            self._check(self._county_code(directory))
            return
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        given = options["passwords"]
        target = Path(given) if given else None
        if target is not None and target.exists():
            raise CommandError(f"密码文件{target}已存在，请另选文件名（不覆盖已有文件）")
        try:
            package = onboarding.read_directory(directory)
            report = onboarding.onboard(package, by=SystemActor("系统（开通县区）"), dry_run=options["dry_run"])
        except onboarding.OnboardingInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(f"✗ {problem}")
            raise CommandError(f"开通材料有{len(exc.problems)}处错误，未写入任何数据") from None
        verb = "将" if report.dry_run else "已"
        for line in report.done:
            self.stdout.write(f"{verb}写入：{line}")
        for line in report.unchanged:
            self.stdout.write(f"无变化：{line}")
        if report.passwords and not report.dry_run:
            target = target or directory / f"initial-passwords-{report.county_code}-{stamp}.csv"
            self._write_passwords(target, report)
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.passwords)}个新账号的初始密码已写入 {target}（仅本人可读）。"
                    "请逐一交给本人并在首次登录后修改，交付后删除该文件。"
                )
            )
        if report.dry_run:
            self.stdout.write("以上为校验结果，未写入任何数据。")
        elif not report.changed:
            self.stdout.write(self.style.SUCCESS(f"{report.county_code}已开通，本次没有需要写入的内容。"))
        else:
            self.stdout.write(self.style.SUCCESS(f"{report.county_code}开通材料已导入。"))
        if not report.dry_run:
            self._print_checklist(report.county_code)

    def _county_code(self, directory: Path) -> str:
        path = directory / onboarding.COUNTY_FILE
        try:
            body = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
            code = str(body["county_code"]).strip()
        except (OSError, yaml.YAMLError, KeyError, TypeError, UnicodeDecodeError):
            raise CommandError(f"无法从{path}读取 county_code") from None
        if not code.isdigit() or len(code) != 6:
            raise CommandError(f"{path}中的 county_code“{code}”应为6位县级区划代码")
        return code

    def _print_checklist(self, county_code: str) -> int:
        items = onboarding.checklist(county_code)
        self.stdout.write(f"开办检查（{county_code}）：")
        for item in items:
            mark = "✓" if item.ok else "✗"
            self.stdout.write(f"  {mark} {item.label}：{item.detail}")
        return sum(not i.ok for i in items)

    def _check(self, county_code: str) -> None:
        missing = self._print_checklist(county_code)
        if missing:
            self.stdout.write(self.style.ERROR(f"尚缺{missing}项，暂不能受理和发放。"))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("各项均已就绪，可以受理第一件申请。"))

    def _write_passwords(self, target: Path, report: onboarding.Report) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["用户名", "姓名", "岗位", "初始密码"])
        writer.writerows(report.passwords)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"密码文件{target}已存在，未覆盖；账号已创建，请由管理员重置这些账号的密码") from None
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            fh.write(buf.getvalue())
