"""跨县核对 (VER-15, VER-16): signed requests between two jiuzhu instances.

Each pair of counties shares a key (stored encrypted), or under the 国密 profile each county
signs with its own SM2 key and registers the other's public key. A request carries the
sender's code, a request id, a timestamp and a signature over method, path, timestamp,
request id and the hash of the body, its scheme named in ``X-Jiuzhu-Signature-Algorithm``:
``hmac-sha256`` (standard profile), ``hmac-sm3`` (国密, a peer registered with a shared key
only) or ``sm2-sm3`` (国密, a peer with a registered SM2 public key: SM2 with SM3 over the
same text with SM3 of the body). The receiver refuses unknown peers, another scheme than the
one it expects of that peer (no downgrade from SM2 to HMAC), bad signatures, timestamps
more than five minutes off, and any request id it has seen (replay). It answers only a
request that names the signed 授权书 of the person (先授权、后核对) and signs its answer the
same way. Both sides audit the exchange.

The person is named by the plain ID number inside the signed body: each deployment has
its own blind-index key, so indexes do not match across instances. Over HTTPS only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import SystemActor, user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core import sm2
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import parse_id_number
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index, cipher, unseal

from .cases import cases
from .effects import Catalog, fetch_current
from .models import Authorization, Peer, PeerNonce, PeerQuery

PATH = "/api/v1/verifications/peer/query"
MAX_SKEW_SECONDS = 300
TIMEOUT_SECONDS = 15
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SM2_SCHEME = "sm2-sm3"


class PeerRefused(DomainError):
    status = 401


def seal_key(key: str) -> bytes:
    return cipher().encrypt("peer_key", key)


def peer_key(peer: Peer) -> bytes:
    if not peer.key_enc:
        raise DomainError(
            "peer_key_missing",
            f"未登记与对端“{peer.name}”的共享密钥：标准配置下跨县核对以共享密钥签名，请先补登记共享密钥",
        )
    return unseal("peer_key", peer.key_enc).encode("utf-8")


def digest_name() -> str:
    """The hash of the signature: SM3 under the 国密 profile (HMAC-SM3), else SHA-256. Both
    counties of a pair run the same profile; a request in the other one is refused by name."""
    return "sm3" if settings.JIUZHU_CRYPTO_PROFILE == "gm" else "sha256"


def signature_algorithm() -> str:
    """The HMAC scheme of the profile (a peer registered with a shared key only)."""
    return f"hmac-{digest_name()}"


def scheme_for(peer: Peer) -> str:
    """The scheme of every exchange with ``peer``: SM2 under the 国密 profile when its public
    key is registered, else the profile's HMAC."""
    if settings.JIUZHU_CRYPTO_PROFILE == "gm" and peer.sm2_public_key:
        return SM2_SCHEME
    return signature_algorithm()


def canonical(method: str, path: str, timestamp: str, request_id: str, body: bytes, digest: str) -> bytes:
    """The signed text: method, path, timestamp, request id and the body's hash, one a line."""
    return "\n".join([method.upper(), path, timestamp, request_id, hashlib.new(digest, body).hexdigest()]).encode()


def sign(key: bytes, method: str, path: str, timestamp: str, request_id: str, body: bytes) -> str:
    name = digest_name()
    return hmac.new(key, canonical(method, path, timestamp, request_id, body, name), name).hexdigest()


def own_sm2_key() -> str:
    """This instance's SM2 private key for peer exchanges (``PEER_SM2_KEY_FILE``)."""
    try:
        return sm2.read_key_file(settings.PEER_SM2_KEY_FILE)
    except sm2.Sm2KeyError:
        raise DomainError(
            "peer_sm2_key_missing",
            "本县尚未生成跨县核对SM2签名密钥（或密钥文件已损坏）："
            "请运行 manage.py peer_public_key 生成，并把公钥交给对端登记",
        ) from None


def sm2_sign(method: str, path: str, timestamp: str, request_id: str, body: bytes) -> str:
    return sm2.sign(own_sm2_key(), canonical(method, path, timestamp, request_id, body, "sm3"))


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison with a header as received: a header of other characters
    (Chinese, Latin-1) is unequal, never a TypeError of ``compare_digest`` on non-ASCII str."""
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "surrogateescape"))


def _signature(peer: Peer, method: str, path: str, timestamp: str, request_id: str, body: bytes) -> str:
    if scheme_for(peer) == SM2_SCHEME:
        return sm2_sign(method, path, timestamp, request_id, body)
    return sign(peer_key(peer), method, path, timestamp, request_id, body)


def signature_valid(
    peer: Peer, method: str, path: str, timestamp: str, request_id: str, body: bytes, signature: str
) -> bool:
    """Whether ``signature`` (a header, any text) signs the exchange in ``peer``'s scheme."""
    if scheme_for(peer) == SM2_SCHEME:
        given = signature.lower() if signature.isascii() else ""
        return sm2.verify(peer.sm2_public_key, canonical(method, path, timestamp, request_id, body, "sm3"), given)
    return _same(sign(peer_key(peer), method, path, timestamp, request_id, body), signature)


def signed_headers(peer: Peer, method: str, path: str, body: bytes, request_id: str | None = None) -> dict[str, str]:
    request_id = request_id or uuid.uuid4().hex
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Jiuzhu-Peer": peer.our_code,
        "X-Jiuzhu-Request-Id": request_id,
        "X-Jiuzhu-Timestamp": timestamp,
        "X-Jiuzhu-Signature": _signature(peer, method, path, timestamp, request_id, body),
        "X-Jiuzhu-Signature-Algorithm": scheme_for(peer),
    }


# ---- answering (the other county asks us) -----------------------------------------------------


def verify_request(headers: Any, method: str, path: str, body: bytes) -> tuple[Peer, str]:
    """Check sender, timestamp, signature and replay; returns (peer, request id)."""
    code = headers.get("X-Jiuzhu-Peer", "")
    request_id = headers.get("X-Jiuzhu-Request-Id", "")
    timestamp = headers.get("X-Jiuzhu-Timestamp", "")
    signature = headers.get("X-Jiuzhu-Signature", "")
    peer = Peer.objects.filter(code=code, active=True).first()
    if peer is None:
        raise PeerRefused("unknown_peer", f"未登记的对端“{code}”，请先在两地互相登记对端（共享密钥或SM2公钥）")
    if not _REQUEST_ID.fullmatch(request_id):
        raise PeerRefused("invalid_request_id", "请求编号格式不正确")
    try:
        skew = abs(time.time() - int(timestamp))
    except (ValueError, OverflowError):  # not a number, or one no float holds
        raise PeerRefused("stale_request", "请求时间戳格式不正确") from None
    if skew > MAX_SKEW_SECONDS:
        raise PeerRefused("stale_request", f"请求时间与本地时间相差{int(skew)}秒，超过{MAX_SKEW_SECONDS}秒，已拒绝")
    algorithm = headers.get("X-Jiuzhu-Signature-Algorithm", "") or "hmac-sha256"
    expected = scheme_for(peer)
    if algorithm != expected:
        raise PeerRefused(
            "signature_algorithm_mismatch",
            f"对端签名算法为“{algorithm}”，本地要求“{expected}”：两地须使用相同的密码配置（国密或标准），"
            "国密配置下已登记SM2公钥的对端须以SM2签名",
        )
    if not signature_valid(peer, method, path, timestamp, request_id, body, signature):
        raise PeerRefused("bad_signature", "请求签名不正确")
    if expected == SM2_SCHEME:
        own_sm2_key()  # the answer must be signed too: refuse now rather than after answering
    try:
        with transaction.atomic():
            PeerNonce.objects.create(peer=peer, request_id=request_id)
    except IntegrityError:
        raise DomainError("replayed_request", f"请求编号{request_id}已使用过，疑似重放，已拒绝") from None
    return peer, request_id


def answer(peer: Peer, request_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The facts this instance holds about the person, for a request that names the
    person's signed authorization."""
    auth = payload.get("authorization") or {}
    if (
        not isinstance(auth, dict)
        or not str(auth.get("reference", "")).strip()
        or not _SHA256.match(str(auth.get("document_sha256", "")))
    ):
        raise DomainError(
            "authorization_missing",
            "请求未附核对对象签署的授权书（授权书编号及其文件摘要），不予核对（先授权、后核对）",
        )
    try:
        value = parse_id_number(str(payload.get("id_number", ""))).value
    except InvalidInput as exc:
        raise InvalidInput(exc.code, exc.message, field="id_number") from None
    index = blind_index("id_number", value)
    person = Person.objects.filter(id_number_index=index).select_related("household").first()
    catalog = Catalog()
    facts = fetch_current([index])
    fact_rows = [
        {
            "source": catalog.sources[f.source_id].code,
            "source_name": f"{catalog.sources[f.source_id].provider.name}·{catalog.sources[f.source_id].name}",
            "category": f.category,
            "detail": f.detail,
            "period_start": f.period_start.isoformat() if f.period_start else None,
            "period_end": f.period_end.isoformat() if f.period_end else None,
            "amount_fen": f.amount_fen,
            "active": f.active,
            "batch": f.batch_id,
        }
        for f in facts
        if f.source_id in catalog.sources
    ]
    assistance = []
    if person is not None and person.household_id:
        for case in cases().approved(person.household_id):
            assistance.append(
                {
                    "program": case.program,
                    "program_name": case.program_name,
                    "since": case.since.isoformat() if case.since else None,
                }
            )
    parts = []
    if person is None:
        parts.append("本地未登记该人员")
    else:
        parts.append("本地已登记" + ("（在册家庭成员）" if person.household_id else "（已不在任何家庭）"))
    parts.append(f"在本地享受救助{len(assistance)}项" if assistance else "未在本地享受低保、特困等救助")
    parts.append(f"本地部门数据{len(fact_rows)}条")
    out = {
        "request_id": request_id,
        "responder": peer.our_code,
        "registered": person is not None,
        "in_household": bool(person and person.household_id),
        "assistance": assistance,
        "facts": fact_rows,
        "summary": "；".join(parts),
        "answered_at": timezone.now().isoformat(),
        "authorization_reference": str(auth["reference"])[:64],
    }
    with transaction.atomic():
        record(
            SystemActor(f"跨县核对（{peer.name}）"),
            "verification.peer.answer",
            person.household if person and person.household_id else None,
            area_code=(person.area_code if person else ""),
            object_type="verification.peerrequest",
            object_id=request_id,
            changes={
                "peer": peer.code,
                "request_id": request_id,
                "authorization": out["authorization_reference"],
                "document_sha256": auth["document_sha256"],
                "facts_read": len(fact_rows),
                "registered": out["registered"],
            },
        )
    return out


def response_signature(peer: Peer, request_id: str, body: bytes) -> str:
    return _signature(peer, "RESPONSE", PATH, "", request_id, body)


def response_valid(peer: Peer, request_id: str, body: bytes, signature: str) -> bool:
    return signature_valid(peer, "RESPONSE", PATH, "", request_id, body, signature)


# ---- asking (we ask the other county) -------------------------------------------------------------


def authorization_for(person: Person) -> Authorization | None:
    own = Authorization.objects.valid().filter(person=person).order_by("-signed_at", "-id").first()
    if own is not None or person.age >= 18:
        return own
    # a minor: covered by an adult member's authorization
    return Authorization.objects.valid().filter(household_id=person.household_id).order_by("-signed_at", "-id").first()


def query_peer(*, by: User, person: Person, peer: Peer, program: str = "dibao") -> PeerQuery:
    """跨县核对: ask ``peer`` what it holds about ``person`` (registered elsewhere)."""
    from .actions import require_perm

    require_perm(by, "verification.run")
    if not peer.active:
        raise DomainError("peer_inactive", f"对端“{peer.name}”已停用")
    if person.household_id is None:
        raise InvalidInput("no_household", "该人员不在任何在册家庭中", field="person_id")
    if person.temp_number:  # INT-24: a 临时编号 is no ID a peer county could look up
        raise InvalidInput(
            "no_id_number", "该人员尚无身份证号码（临时编号），请先认定身份再发起跨县核对", field="person_id"
        )
    auth = authorization_for(person)
    if auth is None:
        raise DomainError(
            "authorization_missing", f"{person.name}尚未签署家庭经济状况核对授权书，不能发起跨县核对（先授权、后核对）"
        )
    payload: dict[str, Any] = {
        "id_number": unseal("id_number", person.id_number_enc),
        "name": person.name,
        "program": program,
        "purpose": "社会救助家庭经济状况核对",
        "authorization": {
            "reference": f"{peer.our_code}-SQ{auth.pk:08d}",
            "signed_at": auth.signed_at.isoformat(),
            "method": auth.method,
            "document_sha256": auth.document.sha256,
        },
    }
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request_id = uuid.uuid4().hex
    headers = signed_headers(peer, "POST", PATH, body, request_id)
    error = ""
    answer_data: dict[str, Any] = {}
    try:
        req = urllib.request.Request(peer.base_url.rstrip("/") + PATH, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:
            raw = resp.read()
            sig = resp.headers.get("X-Jiuzhu-Signature", "")
        if not response_valid(peer, request_id, raw, sig):
            error = "对端答复的签名不正确，已丢弃"
        else:
            answer_data = json.loads(raw.decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read().decode("utf-8")).get("message", "")
        except (ValueError, AttributeError):
            detail = ""
        error = f"对端拒绝（HTTP {exc.code}）：{detail}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = f"无法连接对端：{getattr(exc, 'reason', exc)}"
    with transaction.atomic():
        query = PeerQuery.objects.create(
            peer=peer,
            request_id=request_id,
            person=person,
            household_id=person.household_id,
            authorization=auth,
            area_code=person.area_code,
            status="failed" if error else "answered",
            answer=answer_data,
            error=error[:300],
            asked_by=user_or_none(by),
        )
        record(
            by,
            "verification.peer.query",
            person.household,
            changes={
                "peer": peer.code,
                "request_id": request_id,
                "person": person.pk,
                "authorization": payload["authorization"]["reference"],
                "status": query.status,
                "error": error,
            },
        )
    if error:
        raise DomainError("peer_failed", error)
    return query


def add_peer(
    *,
    by: User,
    code: str,
    name: str,
    base_url: str,
    our_code: str,
    key: str = "",
    sm2_public_key: str = "",
    hmac_only: bool = False,
) -> Peer:
    """登记对端 (administrators): the other county's address and how it signs — a shared key
    (HMAC), its SM2 public key (国密), or both. Under the 国密 profile a new peer needs its SM2
    public key unless ``hmac_only`` says the pair keeps HMAC-SM3 for now; under the standard
    profile it needs the shared key. Re-registering keeps what is not given again."""
    from .actions import require_perm

    require_perm(by, "sources.manage")
    if not (code.isdigit() and len(code) == 6 and our_code.isdigit() and len(our_code) == 6):
        raise InvalidInput("invalid_code", "对端代码和本方代码应为6位县级区划代码", field="code")
    if key and len(key) < 32:
        raise InvalidInput("weak_key", "共享密钥至少32个字符", field="key")
    public_key = ""
    if sm2_public_key.strip():
        try:
            public_key = sm2.normalized_public_key(sm2_public_key)
        except sm2.Sm2KeyError:
            raise InvalidInput(
                "invalid_sm2_public_key",
                "SM2公钥格式不正确：应为对端 manage.py peer_public_key 输出的128位（或04开头的130位）十六进制公钥",
                field="sm2_public_key",
            ) from None
    with transaction.atomic():
        existing = Peer.objects.select_for_update().filter(code=code).first()
        has_key = bool(key) or bool(existing and existing.key_enc)
        has_sm2 = bool(public_key) or bool(existing and existing.sm2_public_key)
        gm = settings.JIUZHU_CRYPTO_PROFILE == "gm"
        if gm and not has_sm2 and not (hmac_only and has_key):
            raise InvalidInput(
                "sm2_key_required",
                "国密配置下登记对端须提供对端的SM2公钥（对端运行 manage.py peer_public_key 获得）；"
                "两地暂用共享密钥（HMAC-SM3）的，须明确选择“仅共享密钥”并填写共享密钥",
                field="sm2_public_key",
            )
        if not gm and not has_key:
            raise InvalidInput("key_required", "标准配置下跨县核对以共享密钥签名，请填写共享密钥", field="key")
        peer = existing or Peer(code=code)
        peer.name, peer.base_url, peer.our_code, peer.active = name, base_url, our_code, True
        if key:
            peer.key_enc = seal_key(key)
        if public_key:
            peer.sm2_public_key = public_key
        peer.save()
        record(
            by,
            "verification.peer.add",
            None,
            object_type="verification.peer",
            object_id=code,
            changes={"code": code, "name": name, "url": base_url, "scheme": scheme_for(peer)},
        )
    return peer
