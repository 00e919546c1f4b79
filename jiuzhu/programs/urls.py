from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("programs/", views.catalog, name="catalog"),
    path("programs/county/", views.county_catalog, name="county"),
    path("programs/county/new/", views.local_program_add, name="local_add"),
    path("programs/county/<str:code>/", views.county_program_edit, name="county_edit"),
    path("programs/<str:code>/", views.program_detail, name="detail"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("parameters/", views.parameters, name="parameters"),
    path("parameters/changes/<int:pk>/<str:decision>/", views.decide_change, name="decide"),
]
