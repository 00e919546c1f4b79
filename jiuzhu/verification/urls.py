from django.urls import path

from . import views

app_name = "verification"
urlpatterns = [
    path("", views.index, name="index"),
    path("sources/", views.sources, name="sources"),
    path("sources/<str:code>/upload/", views.upload, name="upload"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/errors.xlsx", views.batch_errors, name="batch_errors"),
    path("batches/<int:pk>/rerun/", views.batch_rerun, name="batch_rerun"),
    path("verify/", views.verify, name="verify"),
    path("requests/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/pdf/", views.report_pdf, name="report_pdf"),
    path("households/<int:pk>/", views.household, name="household"),
    path("peer-queries/", views.peer_query, name="peer_query"),
    path("reverifications/", views.runs, name="runs"),
    path("reverifications/<int:pk>/", views.run_detail, name="run"),
    path("findings/", views.findings, name="findings"),
    path("workload/", views.workload_view, name="workload"),
    path("findings/<int:pk>/handle/", views.finding_handle, name="finding_handle"),
]
