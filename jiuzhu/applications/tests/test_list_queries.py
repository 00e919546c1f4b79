"""The three list pages of issue 20 item 3 run a fixed number of SQL statements, whatever the
number of rows: the overdue board (限时办理), the case list (救助申请) and the household list
(家庭档案), for the county and for a town clerk. Each page is read with 5 rows, then with 50."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiuzhu.applications.models import Application, CaseDeadline, Intake

# Statements per page: the session, the user, the user's area and department (jurisdiction,
# menu); then the count, the page's ids and its rows (lists); the board's one pass of counts per
# town, the town names, its counts per clerk and its two lists; the household list's area filter.
# The board reads the county's 即将到期 days (a dated setting): one statement for the settings
# store's freshness, since 2026-12-07.
MAX_QUERIES = {"/applications/": 7, "/applications/?overdue=1": 7, "/applications/overdue/": 10, "/households/": 8}


@pytest.fixture
def cases_in(world: Any, household_in: Callable[..., Any]) -> Callable[[int], None]:
    """``n`` more cases in 张山子镇, each with one overdue and one due-soon step, accepted by the
    town's clerk or by the county (rows as the procedure leaves them; the bench's shape)."""
    made = [0]

    def make(n: int) -> None:
        today, now = timezone.localdate(), timezone.now()
        for i in range(made[0], made[0] + n):
            h = household_in("张山子镇", size=2)
            head = h.members.get(relation="self")
            clerk = world.user("tez_zhangshanzi" if i % 2 else "tez_county")
            intake = Intake.objects.create(
                receipt_number=f"LQ{i:05d}", household=h, applicant=head, channel="window",
                area_code=h.area_id, created_by=clerk,
            )  # fmt: skip
            app = Application.objects.create(
                number=f"LQA{i:05d}", intake=intake, household=h, applicant=head, program="dibao",
                channel="window", state="investigating", area_code=h.area_id, county_code=h.county_code,
                urban=False, accepted_by=clerk, accepted_at=now, due_on=today + dt.timedelta(days=2),
            )  # fmt: skip
            CaseDeadline.objects.bulk_create(
                [
                    CaseDeadline(application=app, step="investigation", label="入户调查", started_on=today,
                                 due_on=today - dt.timedelta(days=1 + i % 5), area_code=h.area_id, clerk=clerk),
                    CaseDeadline(application=app, step="overall", label="办结时限", started_on=today,
                                 due_on=today + dt.timedelta(days=2), area_code=h.area_id, clerk=clerk),
                ]
            )  # fmt: skip
        made[0] += n

    return make


def statements(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(ctx.captured_queries)


@pytest.mark.parametrize("username", ["tez_county", "tez_zhangshanzi"])
def test_it_reads_each_list_page_in_the_same_statements_for_5_and_50_rows(
    client_of: Callable[[str], Any], cases_in: Callable[[int], None], username: str
) -> None:
    client = client_of(username)
    cases_in(5)
    for path in MAX_QUERIES:
        statements(client, path)  # the first read of a page fills the process's caches
    few = {path: statements(client, path) for path in MAX_QUERIES}
    cases_in(45)
    many = {path: statements(client, path) for path in MAX_QUERIES}
    assert many == few
    assert all(many[path] <= limit for path, limit in MAX_QUERIES.items()), many


def test_it_shows_every_row_of_the_board_and_the_pages_with_50_cases(
    client_of: Callable[[str], Any], cases_in: Callable[[int], None]
) -> None:
    cases_in(50)
    client = client_of("tez_county")
    board = client.get("/applications/overdue/")
    assert board.context["overdue_count"] == 50 and len(board.context["overdue"]) == 50
    assert board.context["due_soon_count"] == 50
    assert sum(board.context["by_town"].values()) == 50 and board.context["by_town"] == {"张山子镇": 50}
    assert board.context["by_clerk"] == {"区民政业务员（演示）": 25, "张山子镇窗口（演示）": 25}
    listed = client.get("/applications/", {"overdue": "1", "page": 3})
    assert listed.context["page"].paginator.count == 50 and len(listed.context["page"]) == 10
    households = client.get("/households/", {"page": 3})
    assert households.context["page"].paginator.count >= 50 and len(households.context["page"]) > 0


def test_it_counts_an_intakes_overdue_step_for_the_clerk_who_accepted_it(
    client_of: Callable[[str], Any], signed_intake: Callable[..., Any]
) -> None:
    app = signed_intake(by="tez_zhangshanzi").applications.get()
    assert {d.clerk_id for d in app.deadlines.all()} == {app.accepted_by_id}
    app.deadlines.update(due_on=timezone.localdate() - dt.timedelta(days=3))
    board = client_of("tez_county").get("/applications/overdue/")
    assert board.context["by_clerk"] == {"张山子镇窗口（演示）": app.deadlines.count()}


def test_each_board_row_links_its_case_and_names_its_household_step_date_and_clerk(
    client_of: Callable[[str], Any], cases_in: Callable[[int], None]
) -> None:
    cases_in(2)
    html = client_of("tez_county").get("/applications/overdue/").content.decode()
    for app in Application.objects.select_related("household", "accepted_by"):
        late = app.deadlines.get(step="investigation")
        row = (
            f'<tr class="overdue"><td><a href="/applications/{app.pk}/">{app.number}</a></td>'
            f"<td>{app.household.head_name}</td><td>入户调查</td><td>{late.due_on:%Y-%m-%d}</td>"
            f"<td>{app.accepted_by.display_name}</td></tr>"
        )
        assert row in html
        soon = app.deadlines.get(step="overall")
        assert f'<a href="/applications/{app.pk}/">{app.number}</a></td><td>{app.household.head_name}</td>' in html
        assert f"<td>办结时限</td><td>{soon.due_on:%Y-%m-%d}" in html
