"""The applications router and what its rooms share: signatures and entrustments sent as
base64, read into the actions' inputs."""

from __future__ import annotations

import base64
import binascii

from ninja import Field, Router, Schema

from jiuzhu.core.errors import InvalidInput

from .. import actions

router = Router(tags=["救助申请"])


class SignatureApiIn(Schema):
    person_id: int
    image_base64: str
    method: str = "pad"


class EntrustmentApiIn(Schema):
    principal_id: int = Field(description="委托人（家庭成员）")
    reason: str = Field(description="委托事由，如：年老体弱、行动不便")
    agent_name: str = Field("", description="受托人姓名（默认为当前账号）")
    signature: SignatureApiIn = Field(description="委托人签署的申请委托书：签名板PNG或扫描件，base64")


def _signature(s: SignatureApiIn | None, path: str) -> actions.SignatureIn | None:
    if s is None:
        return None
    return actions.SignatureIn(person_id=s.person_id, data=_decode(s.image_base64, path), method=s.method)


def _entrustment(e: EntrustmentApiIn | None) -> actions.EntrustmentIn | None:
    if e is None:
        return None
    data = _decode(e.signature.image_base64, "entrustment.signature")
    signature = actions.SignatureIn(e.principal_id, data, e.signature.method)
    return actions.EntrustmentIn(e.principal_id, e.reason, signature, e.agent_name)


def _decode(image_base64: str, path: str) -> bytes:
    raw = image_base64.split(",", 1)[-1] if image_base64.startswith("data:") else image_base64
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_signature", "签名图片应为base64编码", field=path) from None
