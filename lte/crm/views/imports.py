"""The import pages: upload a CSV or vCard, map the columns of an unfamiliar CSV, watch it run, read the report.

Thin views over lte.crm.imports. The upload is sealed as it arrives: the upload view installs
EncryptingUploadHandler before the CSRF check reads the body, so it is csrf_exempt itself and checks
CSRF (csrf_protect) right after.
"""

from __future__ import annotations

import csv
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.crm import imports
from lte.crm.imports import limits
from lte.crm.models import ImportJob
from lte.lib.spreadsheet import neutralise

MAPPING_COLUMNS = 300  # columns offered in the mapping step (a file may have 10,000)
SAMPLE_CHARS = 40


def _job(request: HttpRequest, import_id: UUID) -> ImportJob:
    try:
        return ImportJob.objects.owned_by(request.user).get(pk=import_id)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    recent = ImportJob.objects.owned_by(request.user).order_by("-created_at")[:10]
    return render(request, "crm/import.html", {"recent": recent, "error": error, "section": "contacts",
                                               "max_mb": limits.MAX_FILE_BYTES // (1024 * 1024),
                                               "max_rows": limits.MAX_ROWS}, status=status)


@login_required
@require_GET
def import_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@csrf_exempt  # CSRF is checked by _upload, once the encrypting upload handler is in place
@login_required
@require_POST
def import_upload(request: HttpRequest) -> HttpResponse:
    request.upload_handlers = [imports.EncryptingUploadHandler(request)]
    try:
        return _upload(request)
    except imports.ImportTooLarge as exc:
        return _page(request, error=str(exc), status=413)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get(imports.FILE_FIELD)
    if upload is None:
        return _page(request, error=_("Choose a CSV or vCard file to import."), status=400)
    try:
        job = imports.import_start(owner=request.user, upload=upload, await_mapping=True)
    except ValidationError as exc:
        return _page(request, error=imports.describe(exc), status=400)
    except imports.ImportBusy as exc:
        return _page(request, error=str(exc), status=429)
    finally:
        upload.close()  # deletes the sealed upload unless the job adopted it
    if imports.awaiting_mapping(job):
        return redirect("crm:import-map", import_id=job.pk)
    return redirect("crm:import-detail", import_id=job.pk)


class MappingForm(forms.Form):
    header = forms.BooleanField(label=gettext_lazy("The first row holds the column names"), required=False,
                                initial=True)

    def __init__(self, *args, header: list[str], samples: list[list[str]], guess: dict[str, list[int]],
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        for i, name in enumerate(header[:MAPPING_COLUMNS]):
            example = next((row[i].strip() for row in samples if i < len(row) and row[i].strip()), "")
            label = f"{i + 1}. {name.strip()[:SAMPLE_CHARS] or _('(no name)')}"
            if example:
                label += f" — {_('e.g.')} {example[:SAMPLE_CHARS]}"
            choices.append((str(i), label))
        for name in imports.FIELDS:
            multiple = name in ("emails", "phones", "tags", "address", "notes")
            initial = [str(i) for i in guess.get(name, []) if i < MAPPING_COLUMNS]
            if multiple:
                self.fields[name] = forms.MultipleChoiceField(
                    label=imports.FIELD_LABELS[name], choices=choices, required=False, initial=initial,
                    help_text=_("Choose one or more columns (or none)."))
            else:
                self.fields[name] = forms.ChoiceField(
                    label=imports.FIELD_LABELS[name], choices=[("", _("— not in this file —")), *choices],
                    required=False, initial=initial[0] if initial else "")
        self.order_fields([*imports.FIELDS, "header"])

    def mapping(self) -> dict:
        data = self.cleaned_data
        mapping: dict = {"header": bool(data.get("header"))}
        for name in imports.FIELDS:
            value = data.get(name)
            if value:
                mapping[name] = [int(v) for v in value] if isinstance(value, list) else [int(value)]
        return mapping


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, import_id: UUID) -> HttpResponse:
    job = _job(request, import_id)
    if not imports.awaiting_mapping(job):
        return redirect("crm:import-detail", import_id=job.pk)
    header, samples = imports.import_columns(owner=request.user, job_id=job.pk)
    form = MappingForm(request.POST or None, header=header, samples=samples, guess=imports.guess_mapping(header))
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_map(owner=request.user, job_id=job.pk, mapping=form.mapping())
        except ValidationError as exc:
            form.add_error(None, imports.describe(exc))
        except imports.ImportTooLarge as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("crm:import-detail", import_id=job.pk)
    return render(request, "crm/import_map.html", {
        "job": job, "form": form, "columns": len(header), "shown": min(len(header), MAPPING_COLUMNS),
        "section": "contacts"}, status=400 if form.errors else 200)


@login_required
@require_GET
def import_detail(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """The progress page; htmx polls it for the progress partial, which stops polling once the job ends."""
    job = _job(request, import_id)
    if imports.awaiting_mapping(job):
        return redirect("crm:import-map", import_id=job.pk)
    context = {"job": job, "active": job.status in imports.ACTIVE, "section": "contacts",
               "unit": _("card") if job.file_format == "vcard" else _("row")}
    if request.headers.get("HX-Request"):
        return render(request, "crm/import_progress.html", context)
    return render(request, "crm/import_detail.html", context)


@login_required
@require_POST
def import_cancel(request: HttpRequest, import_id: UUID) -> HttpResponse:
    job = _job(request, import_id)
    imports.import_cancel(owner=request.user, job_id=job.pk)
    return redirect("crm:import-detail", import_id=job.pk)


@login_required
@require_GET
def import_report(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """The rows that needed attention, as a CSV to open in a spreadsheet (formula-looking cells neutralised)."""
    job = _job(request, import_id)
    unit = _("Card") if job.file_format == "vcard" else _("Row")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.created_at:%Y-%m-%d}-report.csv"'
    response.write("\ufeff")  # so that Excel reads the file as UTF-8
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow([unit, _("Contact"), _("Problem")])
    for problem in job.errors or []:
        writer.writerow([neutralise(problem.get("row")), neutralise(problem.get("contact", "")),
                         neutralise(problem.get("error", ""))])
    return response
