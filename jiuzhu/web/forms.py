from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Each field group in one ``<div class="field">`` so grids lay out label and input together."""

    field_template_name = "forms/field.html"
