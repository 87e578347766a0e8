"""Haidy's report generation over HTTP: POST /v2/generate/report and /v2/generate/report/adjust-style.

The writing is `report_generation`'s. Both answer one JSON body, or with `streaming: true` the same report as a
stream of {"data": "..."} pieces (`haidy/report-stream`) whose data, joined, is the non-streaming `report`.
"""

from __future__ import annotations

from mockserver.clinical import notes
from mockserver.core.declaration import Reply
from mockserver.core.streams import EVENT_STREAM, NDJSON, Stream
from mockserver.haidy import report_generation as generation
from mockserver.haidy import report_templates
from mockserver.haidy.api import api

REPORT = "haidy/report"
STREAM = "haidy/report-stream"
DEFAULT_TEMPLATE = "consultation_report"
"""adjust-style's template when the request names none (the docs' example name)."""
_ANSWER = Reply(REPORT, description=(
    "The report (streaming false), or with streaming true the report as it is written: one {\"data\": \"...\"} "
    f"object per line ({NDJSON}; {EVENT_STREAM} for a client that asks for it), whose data joined is the report."),
    also=((NDJSON, STREAM), (EVENT_STREAM, STREAM)))


@api.operation("POST", "/v2/generate/report", summary="Generate a report from a transcript with a named template",
               body="haidy/report-request", responses={200: _ANSWER}, reads_only=True)
def generate_report(call):
    """The transcript's bubbles written along the template; style_guidance, language, user_instructions,
    date_of_report and the review settings shape the text (report_generation)."""
    body = call.body
    config = body.get("report_generation_config") or {}
    language = body.get("language") or generation.DEFAULT_LANGUAGE
    report = generation.generate(generation.Request(
        report_templates.template(body["template_name"]),
        generation.transcript_of((body.get("transcript") or {}).get("bubbles")),
        generation.Style.from_json(body.get("style_guidance")), language, body.get("user_instructions") or "",
        body.get("date_of_report"), bool(body.get("final_review") or config.get("review_mode") == "with_review")))
    return _answer(call, report, body["template_name"], language)


@api.operation("POST", "/v2/generate/report/adjust-style", summary="Rewrite an existing report in another style",
               body="haidy/report-adjust-style-request", responses={200: _ANSWER}, reads_only=True)
def adjust_report_style(call):
    """The report's sentences read as a transcript and written again along template_name (default
    consultation_report) in the new style and language (default de)."""
    body = call.body
    name = body.get("template_name") or DEFAULT_TEMPLATE
    language = body.get("language") or generation.DEFAULT_LANGUAGE
    report = generation.restyle(body["report"], generation.Request(
        report_templates.template(name), style=generation.Style.from_json(body.get("style_guidance")),
        language=language))
    return _answer(call, report, name, language)


def _answer(call, report: str, template_name: str, language: str):
    if not call.body.get("streaming"):
        return {"report": report, "template_name": template_name, "language": language}
    return Stream([{"data": piece} for piece in notes.pieces(report)])
