"""填写家庭情况 on the 掌上办 (issue 18 item 2; INT-2, INT-8, INT-22): with an online application
the family declares what changed — members who joined or left (with the relation), each
member's incomes and assets as the window's 救助测算 asks (``programs.forms.FinancesForm``),
a contact phone number, the address. Nothing here touches the registry: the declarations are
shown to the town clerk, and only the clerk's 受理 adopts them, through the registry's own
actions and audited (``adopt``). Declared incomes and assets become the case's facts.

A member without a phone number in the registry may be given one by the applicant at first
use (item 1): the signing link and code go to it, and the fact is recorded and audited."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound
from jiuzhu.core.idnumber import parse_id_number
from jiuzhu.programs.facts import default_facts
from jiuzhu.programs.forms import FinancesForm
from jiuzhu.registry.actions import add_member, remove_member, update_household, update_member
from jiuzhu.registry.models import RELATION_CHOICES, Person
from jiuzhu.registry.pii import seal, unseal
from jiuzhu.registry.validation import Errors, clean_member

from .actions import TooManyRequests, applicant_actor
from .models import DeclaredChange, OnlineApplication, OnlineSignature

ADULT = 18  # signs the 授权书 (as ``apply.ADULT``)
MAX_CHANGES = 20  # declared changes per application
MAX_GIVEN_PHONES = 3  # numbers the applicant may give for one member's signature
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
RELATION_NAMES = dict(RELATION_CHOICES)


def _editable(app: OnlineApplication) -> None:
    if app.state != "draft":
        raise DomainError("invalid_state", f"申请已{app.get_state_display()}，不能再修改")


def _member(app: OnlineApplication, member_id: Any, field: str = "member") -> Person:
    """A current member of the application's household, else a Chinese error on ``field``."""
    pk = int(member_id) if str(member_id or "").isdigit() else 0
    person: Person | None = Person.objects.filter(household_id=app.household_id, death_date__isnull=True, pk=pk).first()
    if person is None:
        raise InvalidInput("invalid_person", "请选择您家的一名家庭成员", field=field)
    return person


def _room(app: OnlineApplication) -> None:
    if app.changes.count() >= MAX_CHANGES:
        raise InvalidInput("too_many_changes", f"每份申请最多申报{MAX_CHANGES}项变更", field="form")


def read_for_queue(apps: Iterable[OnlineApplication]) -> list[OnlineApplication]:
    """A queue's applications with their declared changes and their households' living members
    read at once (two statements), kept on each for ``changes_view`` and ``members_view``."""
    apps = list(apps)
    changes: dict[int, list[DeclaredChange]] = {a.pk: [] for a in apps}
    for c in DeclaredChange.objects.filter(application__in=apps).select_related("person").order_by("id"):
        changes[c.application_id].append(c)
    members: dict[int, list[Person]] = {a.household_id: [] for a in apps}
    for p in Person.objects.filter(household_id__in=members, death_date__isnull=True).order_by("id"):
        members[p.household_id].append(p)
    for a in apps:
        a.read_for_view = (changes[a.pk], members[a.household_id])  # type: ignore[attr-defined]
    return apps


def _read_for_view(app: OnlineApplication) -> tuple[list[DeclaredChange], list[Person]]:
    """The application's declared changes and its household's living members: as its queue
    read them, or now (one application's page, always current)."""
    kept: tuple[list[DeclaredChange], list[Person]] | None = getattr(app, "read_for_view", None)
    if kept is not None:
        return kept
    changes = list(app.changes.select_related("person").order_by("id"))
    members = list(Person.objects.filter(household_id=app.household_id, death_date__isnull=True).order_by("id"))
    return changes, members


def members_view(app: OnlineApplication) -> list[dict[str, Any]]:
    """The members a finances form is asked for: the registry's current members (``p<id>``)
    and the members declared new (``c<id>``), with what was declared for each."""
    # a member declared leaving, or one declared new and since registered, is listed once
    changes, members = _read_for_view(app)
    removed = {c.person_id for c in changes if c.kind in ("remove_member", "add_member")}
    rows = [
        {"key": f"p{p.pk}", "name": p.name, "relation": p.relation_label, "new": False}
        for p in members
        if p.pk not in removed
    ]
    rows += [
        {"key": f"c{c.pk}", "name": c.name, "relation": RELATION_NAMES.get(c.relation, ""), "new": True}
        for c in changes
        if c.kind == "add_member"
    ]
    for row in rows:
        row["finances"] = app.finances.get(row["key"]) or {}
    return rows


def declare_finances(app: OnlineApplication, *, by_person: Person, key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """收入和财产 of one member (monthly incomes by type, assets), in 元 as the window asks;
    an empty form clears the member's declaration."""
    _editable(app)
    row = next((r for r in members_view(app) if r["key"] == key), None)
    if row is None:
        raise InvalidInput("invalid_person", "请选择您家的一名家庭成员", field="member")
    form = FinancesForm(data)
    if not form.is_valid():
        errors: list[DomainError] = [
            InvalidInput("invalid_amount", str(message), field=name)
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise InvalidInput(errors[0].code, errors[0].message, field=errors[0].field, errors=errors)
    finances = {k: v for k, v in form.finances().items() if v}
    with transaction.atomic():
        locked = OnlineApplication.objects.select_for_update().get(pk=app.pk)
        declared = dict(locked.finances)
        if finances:
            declared[key] = finances
        else:
            declared.pop(key, None)
        locked.finances = declared
        locked.save(update_fields=["finances"])
        record(
            applicant_actor(by_person),
            "portal.declare_finances",
            locked,
            changes={"member": row["name"], "finances": finance_words(finances) or "无"},
        )
    app.finances = declared
    return finances


def declare_member(app: OnlineApplication, *, by_person: Person, data: Mapping[str, Any]) -> DeclaredChange:
    """新增家庭成员 (birth, marriage, moving in): name, ID number and relation checked as the
    registry checks them; the registry changes only when the town adopts it. An adult declared
    new signs the 授权书 like every adult member, from his own phone: his mobile number is
    required, sealed on the change, and his signing row waits for the link (item 1)."""
    _editable(app)
    _room(app)
    raw = {k: str(data.get(k) or "").strip() for k in ("name", "id_number", "relation")}
    raw_phone = str(data.get("phone") or "").strip()
    errors = Errors()
    md = clean_member(raw, "member", errors)
    adult = md is not None and parse_id_number(md.id_number).age_on(timezone.localdate()) >= ADULT
    phone = ""
    if adult and not raw_phone:
        errors.add("required", "成年成员请填写本人手机号，用于本人签署核对授权书", "member.phone")
    elif raw_phone:
        try:
            phone = _clean_phone(raw_phone, "member.phone", mobile=True)
            if _phone_taken(app, phone):
                raise InvalidInput("phone_of_another", ANOTHERS_PHONE, field="member.phone")
        except InvalidInput as e:
            errors.add(e.code, e.message, "member.phone")
    if md is not None:
        current = Person.objects.filter(household_id=app.household_id, death_date__isnull=True)
        declared = app.changes.filter(kind="add_member")
        if md.relation == "self":
            errors.add("multiple_heads", "新增成员与户主关系不能为“本人”", "member.relation")
        spouses = current.filter(relation="spouse").exists() or declared.filter(relation="spouse").exists()
        if md.relation == "spouse" and spouses:
            errors.add("multiple_spouses", "户主配偶只能有一人", "member.relation")
        sealed = seal("id_number", md.id_number)
        if current.filter(id_number_index=sealed.index).exists():
            errors.add("already_member", "此人已在您家的登记中，不用再申报", "member.id_number")
        elif any(unseal("id_number", c.id_number_enc) == md.id_number for c in declared):
            errors.add("duplicate_id_number", "此人已申报过", "member.id_number")
    errors.raise_if_any()
    assert md is not None
    sealed_phone = seal("phone", phone) if phone else None
    with transaction.atomic():
        change = DeclaredChange.objects.create(
            application=app,
            kind="add_member",
            name=md.name,
            id_number_enc=sealed.encrypted,
            id_number_masked=sealed.masked,
            relation=md.relation,
            phone_enc=sealed_phone.encrypted if sealed_phone else None,
            phone_masked=sealed_phone.masked if sealed_phone else "",
            first_use=sealed_phone is not None,
        )
        if adult:
            OnlineSignature.objects.create(
                application=app, change=change, documents=["authorization"], token_hash=secrets.token_hex(32)
            )
        record(
            applicant_actor(by_person),
            "portal.declare_change",
            app,
            changes={
                "declared": "新增家庭成员",
                "member": md.name,
                "relation": RELATION_NAMES[md.relation],
                **({"phone": sealed_phone.masked, "phone_source": "申报新增成员时提供"} if sealed_phone else {}),
            },
        )
    return change


def declare_removal(app: OnlineApplication, *, by_person: Person, member_id: Any, reason: str) -> DeclaredChange:
    """家庭成员迁出 (death, marriage, moving away) with its reason."""
    _editable(app)
    _room(app)
    person = _member(app, member_id)
    reason = (reason or "").strip()
    if person.relation == "self":
        raise InvalidInput("head_must_stay", "户主迁出或变更户主，请到乡镇（街道）窗口办理", field="member")
    if person.pk == by_person.pk:
        raise InvalidInput("not_self", "不能申报申请人本人迁出", field="member")
    if not reason:
        raise InvalidInput("required", "请填写迁出原因（如：婚出、户口迁出、去世）", field="reason")
    if len(reason) > 100:
        raise InvalidInput("too_long", "迁出原因不超过100个字", field="reason")
    if app.changes.filter(kind="remove_member", person=person).exists():
        raise InvalidInput("duplicate", f"已申报{person.name}迁出", field="member")
    with transaction.atomic():
        change = DeclaredChange.objects.create(
            application=app, kind="remove_member", person=person, name=person.name, text=reason
        )
        record(
            applicant_actor(by_person),
            "portal.declare_change",
            app,
            changes={"declared": "家庭成员迁出", "member": person.name, "reason": reason},
        )
    return change


def _clean_phone(phone: str, field: str, *, mobile: bool) -> str:
    phone = re.sub(r"[\s-]", "", phone or "") if mobile else re.sub(r"\s", "", phone or "")
    if not phone:
        raise InvalidInput("required", "请填写手机号", field=field)
    if mobile and not _MOBILE.match(phone):
        raise InvalidInput("invalid_phone", "请填写11位手机号（用于接收短信）", field=field)
    errors = Errors()
    clean_member({"phone": phone}, "member", errors, partial=True)
    if errors:
        raise InvalidInput("invalid_phone", errors.items[0].message, field=field)
    return phone


def _set_phone_change(
    app: OnlineApplication, person: Person, phone: str, *, first_use: bool, by_person: Person
) -> DeclaredChange:
    sealed = seal("phone", phone)
    existing = app.changes.filter(kind="phone", person=person).first()
    if existing is None:
        _room(app)
        existing = DeclaredChange(application=app, kind="phone", person=person, name=person.name)
    existing.phone_enc, existing.phone_masked, existing.first_use = sealed.encrypted, sealed.masked, first_use
    existing.save()
    record(
        applicant_actor(by_person),
        "portal.declare_change",
        app,
        changes={
            "declared": "联系电话" + ("（首次使用时提供）" if first_use else ""),
            "member": person.name,
            "phone": sealed.masked,
        },
    )
    return existing


def declare_phone(app: OnlineApplication, *, by_person: Person, member_id: Any, phone: str) -> DeclaredChange:
    """联系电话 of one member (a mobile or a fixed line with its area code)."""
    _editable(app)
    person = _member(app, member_id)
    phone = _clean_phone(phone, "phone", mobile=False)
    with transaction.atomic():
        return _set_phone_change(app, person, phone, first_use=False, by_person=by_person)


def declare_address(app: OnlineApplication, *, by_person: Person, address: str) -> DeclaredChange:
    """家庭住址 as it is now."""
    _editable(app)
    address = (address or "").strip()
    if not address:
        raise InvalidInput("required", "请填写现在的家庭住址", field="address")
    if len(address) > 200:
        raise InvalidInput("too_long", "家庭住址不超过200个字", field="address")
    with transaction.atomic():
        change = app.changes.filter(kind="address").first()
        if change is None:
            _room(app)
            change = DeclaredChange(application=app, kind="address")
        change.text = address
        change.save()
        record(
            applicant_actor(by_person),
            "portal.declare_change",
            app,
            changes={"declared": "家庭住址", "address": address},
        )
    return change


def cancel(app: OnlineApplication, *, by_person: Person, change_id: Any) -> None:
    """撤销一项申报 while the application is still being filled."""
    _editable(app)
    change = app.changes.filter(pk=int(change_id) if str(change_id or "").isdigit() else 0).first()
    if change is None:
        raise NotFound("not_found", "未找到这项申报")
    with transaction.atomic():
        if change.kind == "add_member" and f"c{change.pk}" in app.finances:
            app.finances = {k: v for k, v in app.finances.items() if k != f"c{change.pk}"}
            app.save(update_fields=["finances"])
        if change.kind == "phone" and change.first_use and change.person_id is not None:  # the given number goes too
            OnlineSignature.objects.filter(application=app, person_id=change.person_id, signed_at__isnull=True).update(
                given_phone_enc=None
            )
        record(
            applicant_actor(by_person),
            "portal.declare_cancel",
            app,
            changes={"declared": change.get_kind_display(), "member": change.name},
        )
        change.delete()


ANOTHERS_PHONE = "这是另一位家庭成员的手机号。请填写该成员本人的手机号，由本人签署"


def _phone_taken(app: OnlineApplication, phone: str, *, person_id: int | None = None, signature_id: int = 0) -> bool:
    """Whether ``phone`` is another member's: in the registry, given at first use for another
    signer, or declared with another new member (one phone, one signer)."""
    others = Person.objects.filter(household_id=app.household_id).exclude(pk=person_id)
    if any(unseal("phone", p.phone_enc) == phone for p in others if p.phone_enc):
        return True
    signatures = app.signatures.exclude(pk=signature_id).select_related("change")
    for s in signatures:
        if s.given_phone_enc and unseal("phone", s.given_phone_enc) == phone:
            return True
        change = s.change
        if change is not None and change.phone_enc and unseal("phone", change.phone_enc) == phone:
            return True
    return False


def give_phone(sig: OnlineSignature, *, by_person: Person, phone: str) -> str:
    """首次使用时提供手机号 (item 1): the member has no phone number in the registry, so the
    applicant gives one; the signing link and code go there, the signature records it as given
    at first use, and the number is a declared change the town may adopt. At most
    ``MAX_GIVEN_PHONES`` numbers per member; not another member's number. Returns it masked."""
    app = sig.application
    _editable(app)
    if sig.signed_at is not None:
        raise DomainError("already_signed", f"{sig.member_name}已签署")
    if sig.person is None:
        raise InvalidInput(
            "declared_phone",
            f"{sig.member_name}的手机号随新增成员一起申报；号码有误的，请撤销这项申报后重新申报",
            field="phone",
        )
    if sig.person.phone_enc:
        raise InvalidInput("has_phone", f"{sig.person.name}已登记手机号，签署链接发到登记的号码", field="phone")
    phone = _clean_phone(phone, "phone", mobile=True)
    if _phone_taken(app, phone, person_id=sig.person_id, signature_id=sig.pk):
        raise InvalidInput("phone_of_another", ANOTHERS_PHONE, field="phone")
    if sig.phones_given >= MAX_GIVEN_PHONES:
        raise TooManyRequests(
            "too_many_phones", "更换手机号次数过多，请该成员到村（社区）或乡镇（街道）登记手机号", field="phone"
        )
    sealed = seal("phone", phone)
    with transaction.atomic():
        OnlineSignature.objects.filter(pk=sig.pk).update(
            given_phone_enc=sealed.encrypted, phones_given=sig.phones_given + 1
        )
        _set_phone_change(app, sig.person, phone, first_use=True, by_person=by_person)
    sig.refresh_from_db()
    return sealed.masked


def adopt(app: OnlineApplication, *, by: User, adopted: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """受理时核实申报 (the town clerk, inside the 受理 transaction): each adopted change goes
    through the registry's own action as ``by`` (its audit row), the others are marked
    未采纳; every decision is audited. Returns the declared incomes and assets per person id
    of the household as it now stands, for the case's facts."""
    chosen = None if adopted is None else set(adopted)
    household = app.household
    key_to_person = {f"p{p.pk}": p.pk for p in Person.objects.filter(household_id=app.household_id)}
    now = timezone.now()
    for change in app.changes.select_related("person").filter(state="declared"):
        take = chosen is None or change.pk in chosen
        if take and change.kind == "add_member":
            person = add_member(
                household,
                {
                    "name": change.name,
                    "id_number": unseal("id_number", change.id_number_enc),
                    "relation": change.relation,
                    # the number he was declared with (and, if adult, confirmed by signing with it)
                    **({"phone": unseal("phone", change.phone_enc)} if change.phone_enc else {}),
                },
                by=by,
                reason="掌上办申报，受理时核实",
            )
            change.person = person
            key_to_person[f"c{change.pk}"] = person.pk
        elif take and change.kind == "remove_member":
            assert change.person is not None
            remove_member(change.person, by=by, reason=f"掌上办申报：{change.text}")
        elif take and change.kind == "phone":
            assert change.person is not None
            update_member(change.person, {"phone": unseal("phone", change.phone_enc)}, by=by)
        elif take and change.kind == "address":
            household = update_household(household, by=by, address=change.text)
        change.state = "adopted" if take else "declined"
        change.decided_at, change.decided_by = now, user_or_none(by)
        change.save(update_fields=["person", "state", "decided_at", "decided_by"])
        record(
            by,
            "portal.change_adopted" if take else "portal.change_declined",
            app,
            changes={"declared": change.get_kind_display(), "member": change.name},
        )
    return {key_to_person[k]: v for k, v in app.finances.items() if k in key_to_person}


def facts_after(app: OnlineApplication, declared: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """The case's facts: the registry as it now stands, with the declared incomes and assets."""
    app.household.refresh_from_db()
    return default_facts(app.household, declared)


def changes_view(app: OnlineApplication) -> list[dict[str, Any]]:
    """The declared changes in plain words (the family's page, the town's queue, the case page)."""
    out = []
    for c in _read_for_view(app)[0]:
        if c.kind == "add_member":
            phone = f"，手机 {c.phone_masked}" if c.phone_masked else ""
            text = f"{c.name}（{RELATION_NAMES.get(c.relation, '')}，身份证号 {c.id_number_masked}{phone}）"
        elif c.kind == "remove_member":
            text = f"{c.name}：{c.text}"
        elif c.kind == "phone":
            text = f"{c.name}：{c.phone_masked}" + ("（首次使用时由申请人提供）" if c.first_use else "")
        else:
            text = c.text
        out.append({"id": c.pk, "kind": c.get_kind_display(), "text": text, "state": c.get_state_display(), "row": c})
    return out


def finance_words(f: Mapping[str, Any]) -> str:
    """``{"incomes": …, "assets": …}`` in words: 工资性收入每月1200.00元；存款5000.00元；机动车1辆."""
    from jiuzhu.programs.forms import ASSET_COUNT, ASSET_MONEY, INCOME_FIELDS

    incomes, money, counts = dict(INCOME_FIELDS), dict(ASSET_MONEY), dict(ASSET_COUNT)
    parts = [f"{incomes[k]}每月{v / 100:.2f}元" for k, v in (f.get("incomes") or {}).items() if k in incomes]
    for k, v in (f.get("assets") or {}).items():
        if k in money:
            parts.append(f"{money[k].split('（')[0]}{v / 100:.2f}元")
        elif k in counts:
            name, unit = counts[k].rstrip("）").split("（")
            parts.append(f"{name}{v}{unit}")
    return "；".join(parts)


def finances_view(app: OnlineApplication) -> list[dict[str, Any]]:
    """The declared incomes and assets in words, per member (for the town clerk)."""
    return [
        {"name": row["name"], "text": finance_words(row["finances"])} for row in members_view(app) if row["finances"]
    ]
