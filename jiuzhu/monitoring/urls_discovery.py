"""Pages of 政策找人 (issue 17): 预警, 预警规则, 核查任务 — under ``/monitoring/``."""

from django.urls import path

from . import views_discovery as views

app_name = "discovery"
urlpatterns = [
    path("warnings/", views.warning_list, name="warnings"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_view, name="task"),
    path("tasks/<int:pk>/<str:name>/", views.task_action, name="task_action"),
]
