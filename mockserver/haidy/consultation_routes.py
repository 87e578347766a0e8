"""Haidy's consultation retrieval over HTTP (haidy-pis-integration.txt, the retrieval phase): list the approved
consultations, download a report in PDF, DOCX, TXT or JSON, mark one as downloaded.

The caller's tenant only. Consultations come from a simulated approval (`/_mock/tenants/{tenant}/haidy/consultations`
in `admin.py`, the plugin's `approve_consultation`, the data set); the rules live in `consultations.py`, the files
in `report_files.py`.
"""

from __future__ import annotations

from flask import Response

from mockserver.core.declaration import Header, Reply
from mockserver.core.errors import ContractViolation
from mockserver.haidy import consultations, report_files
from mockserver.haidy.api import ERROR, api
from mockserver.haidy.models import HaidyBackend

REPORT = "haidy/consultation-report"
_BY_ID = {"id": "$response.body#/items/0/id"}
ATTACHMENT = Header("Content-Disposition", 'attachment; filename="<id>.<format in lower case>"')


@api.operation(
    "GET", "/v2/consultations", summary="List approved consultations",
    query="haidy/consultation-query", responses={200: "haidy/consultation-list"}, reads_only=True,
    links={200: {
        "GetConsultationReport": {"operationId": "get_consultation_report",
                                  "parameters": {**_BY_ID, "format": "PDF"}},
        "MarkConsultationAsDownloaded": {"operationId": "mark_consultation_as_downloaded", "parameters": _BY_ID},
    }},
)
def list_consultations(call):
    """Approved consultations, newest approved first; `downloaded=false` gives those not fetched yet."""
    query = dict(call.query)
    if "since" in query:
        query["since"] = consultations.parse_moment(query["since"], ("query", "since"))
    with call.backend(HaidyBackend) as haidy:
        return consultations.listing(haidy, **query)


@api.operation(
    "GET", "/v2/consultation/{id}/report/{format}", summary="Download a consultation's report",
    path_schemas={"format": "haidy/consultation-report-format"}, reads_only=True,
    responses={
        200: Reply(None, report_files.PDF, "The report in the format asked for: PDF, DOCX, TXT (the Markdown text) or "
                   "JSON, as an attachment named `<id>.<format>`",
                   headers=(ATTACHMENT,),
                   also=((report_files.DOCX, None), ("text/plain", None), (report_files.JSON, REPORT))),
        404: ERROR,
    },
)
def get_consultation_report(call):
    """Written from the consultation's transcript (and the linked patient's name and birth date); the same
    consultation gives the same bytes."""
    with call.backend(HaidyBackend) as haidy:
        consultation = consultations.find(haidy, call.path["id"])
        report = consultations.report(haidy, consultation)
    file = report_files.render(report, call.path["format"])
    if file.media_type == report_files.JSON and call.runtime.config.validate_responses:
        errors = call.runtime.schemas.errors(REPORT, report.to_json())
        problems = [f"{'/'.join(map(str, e.loc))}: {e.msg}" for e in errors]
        if problems:
            raise ContractViolation("get_consultation_report", 200, problems)
    headers = {"Content-Disposition": f'attachment; filename="{consultation.id}.{file.extension}"'}
    return Response(file.content, 200, headers=headers, content_type=file.media_type)


@api.operation(
    "POST", "/v2/consultation/{id}/mark-as-downloaded", summary="Mark a consultation as downloaded",
    responses={200: "haidy/consultation-downloaded", 404: ERROR},
)
def mark_consultation_as_downloaded(call):
    """Idempotent: marking again answers the same, with the time of the first mark."""
    with call.backend(HaidyBackend) as haidy:
        return consultations.mark_downloaded(haidy, call.path["id"])

