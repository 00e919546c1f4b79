from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("programs/", views.catalog, name="catalog"),
    path("programs/<str:code>/", views.program_detail, name="detail"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("parameters/", views.parameters, name="parameters"),
    path("parameters/changes/<int:pk>/<str:decision>/", views.decide_change, name="decide"),
]
