from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/export.xlsx", views.household_export, name="household_export"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/import/", views.import_view, name="import"),
    path("households/import/template.xlsx", views.import_template, name="import_template"),
    path("households/import/errors/<str:token>.xlsx", views.import_error_report, name="import_errors"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("households/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("persons/lookup/", views.person_lookup, name="person_lookup"),
    path("persons/prefill/", views.prefill_confirm, name="prefill_confirm"),
    path("population/", views.population_upload, name="population"),
    path("persons/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("persons/<int:pk>/move/", views.member_move, name="member_move"),
    path("persons/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("persons/<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
]
