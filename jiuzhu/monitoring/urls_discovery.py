"""Pages of 政策找人 (issue 17): 预警, 预警规则, 核查任务 — under ``/monitoring/``."""

from django.urls import path

from . import views_campaigns as campaigns
from . import views_discovery as views
from . import views_emergency as emergencies
from . import views_field
from . import views_suspected as suspected

app_name = "discovery"
urlpatterns = [
    path("warnings/", views.warning_list, name="warnings"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_view, name="task"),
    path("tasks/<int:pk>/<str:name>/", views.task_action, name="task_action"),
    path("yield/", views.yield_page, name="yield"),  # 预警成效 (DIS-11)
    path("yield.xlsx", views.yield_export, name="yield_export"),
    # 摸底排查 (DIS-2)
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", campaigns.campaign_view, name="campaign"),
    path("campaigns/<int:pk>/coverage.xlsx", campaigns.coverage_export, name="campaign_export"),
    path("campaigns/<int:pk>/households/", campaigns.village_list, name="campaign_households"),
    path("campaigns/<int:pk>/visit/<int:household_id>/", campaigns.visit_form, name="campaign_visit"),
    path("campaigns/<int:pk>/<str:name>/", campaigns.campaign_action, name="campaign_action"),
    # 疑似困难人员名单 (DIS-3)
    path("suspected/", suspected.list_view, name="suspected"),
    path("suspected/<int:batch_id>/", suspected.report_view, name="suspected_report"),
    path("suspected/<int:batch_id>/retry/", suspected.retry_list_view, name="suspected_list_retry"),
    path("suspected/failures/<int:pk>/retry/", suspected.retry_view, name="suspected_retry"),
    # 应急期 (WF-12, LNK-9, PRG-12)
    path("emergencies/", emergencies.emergency_list, name="emergencies"),
    path("emergencies/<int:pk>/", emergencies.emergency_view, name="emergency"),
    path("emergencies/<int:pk>/report.xlsx", emergencies.emergency_export, name="emergency_export"),
    path("emergencies/<int:pk>/reliefs/<int:job_id>/", emergencies.relief_view, name="emergency_relief"),
    path("emergencies/<int:pk>/<str:name>/", emergencies.emergency_action, name="emergency_action"),
    # 现场发现报告 (DIS-5, INT-24)
    path("field-reports/", views_field.field_reports, name="field_reports"),
    path("field-reports/<int:pk>/", views_field.field_report, name="field_report"),
    path("field-reports/<int:pk>/<str:name>/", views_field.field_report_action, name="field_report_action"),
]
