"""Pages of 投诉举报: the public form and progress query under ``/public/complaints/``, the
staff pages under ``/complaints/``."""

from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("complaints/", views.complaint_list, name="list"),
    path("complaints/new/", views.log_call, name="new"),
    path("complaints/<int:pk>/", views.complaint_view, name="detail"),
    path("complaints/<int:pk>/identity/", views.identity, name="identity"),
    path("complaints/<int:pk>/<str:name>/", views.complaint_action, name="action"),
]
public_urlpatterns = [
    path("public/complaints/new/", views.public_new, name="public_new"),
    path("public/complaints/track/", views.public_track, name="public_track"),
]
