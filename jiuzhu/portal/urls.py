from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("display/", views.display_view, name="display"),
    path("applications/<int:pk>/", views.case_view, name="case"),
    path("notices/<int:pk>/", views.notice_view, name="notice"),
    path("notices/<int:pk>/download/", views.notice_download, name="notice_download"),
]
