"""Audit actions in words (issue 14 item 9): the code recorded (``applications.approve``) is for
machines; pages and exports show what happened (``审批（确认）``)."""

from __future__ import annotations

from collections.abc import Callable

ACTION_LABELS: dict[str, str] = {
    "accounts.token.create": "签发接口令牌",
    "accounts.token.revoke": "吊销接口令牌",
    "accounts.user.create": "创建工作人员账号",
    "accounts.department.save": "新建或更名部门",
    "applications.config.save": "设置文书字号和救济途径",
    "programs.county.choose": "选定本县救助项目",
    "programs.county.edit": "修改本县救助项目",
    "programs.county.local_add": "新增本县自设救助项目",
    "applications.intake": "受理申请",
    "applications.dossier.export": "导出案件档案",
    "applications.escalate": "报县级审批",
    "applications.special_deliberation": "一事一议",
    "areas.import": "导入行政区划",
    "audit.signed_document.revoke": "作废电子文书",
    "holidays.recompute": "按节假日安排重算办理时限",
    "funds.charity.inflow": "慈善资金收入",
    "funds.charity.open": "开立慈善资金账户",
    "funds.charity.outflow": "慈善资金支出",
    "funds.contract.create": "登记购买服务合同",
    "funds.fiscal_power.set": "设置财力系数",
    "funds.incentive.record": "登记奖补资金",
    "funds.line.create": "新增资金预算项",
    "funds.line.plan": "编制资金计划",
    "funds.line.update": "修改资金预算项",
    "funds.plan.create": "新建资金预算",
    "funds.plan.targets": "设置预算目标",
    "payments.bank.download": "下载银行代发文件",
    "payments.bank.export": "生成银行代发文件",
    "payments.bank.reissue": "失败明细重新代发",
    "payments.bank.results": "导入银行回盘",
    "payments.benefit.resume": "恢复发放",
    "payments.benefit.stop": "停发",
    "payments.benefit.suspend": "暂停发放",
    "payments.credit.reported": "登记征信报送",
    "payments.job.dead": "后台任务中断（系统）",
    "payments.ledger.reverse": "冲正台账",
    "payments.recovery.create": "登记追回",
    "payments.recovery.repay": "登记退回款项",
    "payments.reserve.disburse": "备用金支出",
    "payments.reserve.open": "开立备用金",
    "payments.reserve.top_up": "补充备用金",
    "payments.review.change_report": "登记变更报告",
    "payments.review.decide": "作出复核结论",
    "payments.review.start": "开始复核",
    "payments.review.open_periodic": "生成定期复核任务",
    "payments.review.open_change": "变更报告转复核",
    "payments.review.open_age": "年龄变化转复核",
    "payments.review.open_death": "成员死亡转复核",
    "payments.review.open_data": "部门数据预警转复核",
    "payments.roster.cancel_lock": "撤回锁定申请",
    "payments.roster.check": "核查花名册",
    "payments.roster.generate": "生成花名册",
    "payments.layout.save": "保存银行文件格式",
    "payments.roster.lock": "复核锁定花名册",
    "payments.roster.reconfirm": "重新确认花名册",
    "payments.roster.refresh": "重新生成花名册",
    "payments.roster.release": "解除锁定",
    "payments.roster.request": "申请生成花名册",
    "payments.roster.request_lock": "申请锁定花名册",
    "payments.roster.restore": "恢复发放明细",
    "payments.roster.retry": "重试生成花名册",
    "payments.roster.withdraw": "撤出发放明细",
    "payments.roster.hold": "暂缓发放",
    "payments.roster.pay": "确认发放",
    "programs.parameter.propose": "提出参数调整",
    "programs.parameter.confirm": "复核通过参数调整",
    "programs.parameter.reject": "退回参数调整",
    "programs.parameter.preset": "录入办理流程模式设置",
    "referrals.create": "派单",
    "referrals.escalate": "派单升级督办",
    "referrals.print": "打印转办单",
    "referrals.record_reply": "登记线下回复",
    "referrals.records.import": "导入部门救助记录",
    "referrals.remind": "催办",
    "referrals.reveal": "查看派单完整信息",
    "referrals.visit": "走访",
    "referrals.accept": "接收派单",
    "referrals.decide": "反馈办理结果",
    "referrals.return": "退回派单",
    "referrals.cancel": "撤销派单",
    "registry.document.attach": "上传档案材料",
    "registry.household.create": "登记家庭",
    "registry.household.export": "导出家庭档案",
    "registry.household.import": "批量导入家庭档案",
    "registry.household.update": "修改家庭信息",
    "registry.id_lookup.view": "按身份证号查询",
    "registry.member.add": "增加成员",
    "registry.member.move_in": "成员迁入",
    "registry.member.move_out": "成员迁出",
    "registry.member.remove": "成员迁出本家庭",
    "registry.member.update": "修改成员信息",
    "registry.pii.reencrypt": "重新加密个人信息（系统）",
    "registry.population.load": "上传户籍人口数据",
    "registry.prefill.view": "查看部门数据预填",
    "registry.pii.reveal": "查看完整个人信息",
    "verification.batch.fail": "数据批次处理出错",
    "verification.batch.load": "数据批次入库",
    "verification.batch.receive": "接收部门数据",
    "verification.batch.reject": "数据批次校验未通过",
    "verification.batch.rerun": "重新处理数据批次",
    "verification.finding.handle": "处理核对预警",
    "verification.job.dead": "后台任务中断（系统）",
    "verification.peer.add": "登记跨县核对对端",
    "verification.peer.answer": "答复跨县核对",
    "verification.peer.query": "发起跨县核对",
    "verification.report.create": "出具核对报告",
    "verification.report.download": "下载核对报告",
    "verification.report.view": "查看核对报告",
    "verification.request": "申请家庭经济状况核对",
    "verification.request.refuse": "不予核对",
    "verification.reverify.chunk": "批量复核（分段）",
    "verification.reverify.retry": "重试批量复核",
    "verification.reverify.start": "发起批量复核",
    "verification.upload.start": "开始分段上传",
}


# A higher app names its own actions (``applications.approve`` → the workflow table's label)
# from its ``AppConfig.ready``: app label → (action without the app prefix → label or None).
_NAMERS: dict[str, Callable[[str], str | None]] = {}


def register_action_labels(app: str, namer: Callable[[str], str | None]) -> None:
    _NAMERS[app] = namer


def action_label(action: str) -> str:
    """The Chinese name of an audit action; a workflow step takes its label from the table."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    app, _, rest = action.partition(".")
    namer = _NAMERS.get(app)
    label = namer(rest) if namer is not None else None
    return label if label is not None else "其他操作"
