from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.home, name="home"),
    path("rosters/new/", views.roster_create, name="roster_create"),
    path("runs/<int:pk>/", views.run_view, name="run"),
    path("rosters/<int:pk>/", views.roster_view, name="roster"),
    path("rosters/<int:pk>/actions/<str:name>/", views.roster_action, name="roster_action"),
    path("rosters/<int:pk>/bank-file/", views.bank_export, name="bank_export"),
    path("export-jobs/<int:pk>/retry/", views.bank_export_retry, name="bank_export_retry"),
    path("notice-jobs/<int:pk>/retry/", views.adjustment_notice_retry, name="adjustment_notice_retry"),
    path("rosters/<int:pk>/reconciliation/", views.reconciliation_view, name="reconciliation"),
    path("lines/<int:pk>/<str:name>/", views.line_action, name="line_action"),
    path("batches/<int:pk>/file/", views.batch_file, name="batch_file"),
    path("batches/<int:pk>/results/", views.batch_results, name="batch_results"),
    path("cases/<int:pk>/", views.case_view, name="case"),
    path("cases/<int:pk>/<str:name>/", views.case_action, name="case_action"),
    path("recoveries/", views.recoveries, name="recoveries"),
    path("recoveries/<int:pk>/repay/", views.repay, name="repay"),
    path("stats/", views.stats, name="stats"),
    path("layouts/", views.layouts, name="layouts"),
    path("layouts/<int:pk>/sample/", views.layout_sample, name="layout_sample"),
    path("layouts/<int:pk>/sample-result/", views.layout_sample_result, name="layout_sample_result"),
    path("checks/", views.checks, name="checks"),
]
