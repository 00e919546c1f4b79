import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.models import Person
from jiuzhu.verification.models import Peer
from jiuzhu.verification.peers import query_peer


class Command(BaseCommand):
    help = "向外县实例发起跨县核对（与页面“发起跨县核对”相同），输出对端答复（JSON）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("person_id", type=int)
        parser.add_argument("peer", help="对端县级区划代码")
        parser.add_argument("--user", required=True, help="以哪个核对员的名义发起")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        person = Person.objects.filter(pk=options["person_id"]).first()
        peer = Peer.objects.filter(code=options["peer"]).first()
        if user is None or person is None or peer is None:
            raise CommandError("用户、人员或对端不存在")
        try:
            query = query_peer(by=user, person=person, peer=peer)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(json.dumps({"status": query.status, "answer": query.answer}, ensure_ascii=False))
