from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("applications/", views.application_list, name="list"),
    path("applications/new/", views.intake_view, name="intake"),
    path("applications/overdue/", views.overdue_view, name="overdue"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    path("applications/notice-jobs/<int:pk>/retry/", views.notice_job_retry, name="notice_job_retry"),
    path("applications/<int:pk>/supplement/", views.supplement_view, name="supplement"),
    path("applications/<int:pk>/investigation/", views.investigation_view, name="investigation"),
    path("applications/<int:pk>/actions/<str:name>/", views.application_action, name="action"),
    path("applications/<int:pk>/dossier.zip", views.dossier_view, name="dossier"),
    path("applications/<int:pk>/special-deliberation/", views.special_deliberation_view, name="special_deliberation"),
    path("workflow/", views.workflow_view, name="workflow"),
    path("workflow/changes/<int:pk>/", views.workflow_change_view, name="workflow_change"),
    path("workflow/changes/<int:pk>/<str:decision>/", views.workflow_decide_view, name="workflow_decide"),
]
