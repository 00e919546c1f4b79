from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jiuzhu.web.demo import DEMO_PASSWORD, USERS, load_demo


class Command(BaseCommand):
    help = "加载演示数据（区划、部门、演示用户、数百户虚构家庭）；可重复执行，第二次不做任何修改"

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo()
        if result["programs"]:
            self.stdout.write(f"救助项目库已同步 {result['programs']} 项")
        if result["households"]:
            self.stdout.write(f"已生成演示家庭 {result['households']} 户")
        if result.get("cases"):
            self.stdout.write(f"已生成演示救助申请 {result['cases']} 件")
        if not any(result.values()):
            self.stdout.write("演示数据已存在，未做修改")
        self.stdout.write("演示用户（密码 " + DEMO_PASSWORD + "）：" + "、".join(u.username for u in USERS))
