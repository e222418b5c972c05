"""The impact report for staff: a page per month, quarter, year or chosen days, printable as
one page, and the same as a PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from noticeboard.i18n import N_
from noticeboard.notices.kinds import BY_ID
from noticeboard.paper import documents
from noticeboard.reports import queries
from noticeboard.reports.forms import Period, month_period, read_period
from noticeboard.results import Refused
from noticeboard.runtime import runtime
from noticeboard.web.guard import requires
from noticeboard.web.rendering import language_of

STAFF = ("owner", "editor", "moderator")
FIELDS = ("month", "quarter", "year", "from", "to")


def _period_from(request: Request, default: Period) -> Period | Refused:
    values = {name: request.query_params.get(name, "")[:20] for name in FIELDS}
    if not any(values.values()):
        return default
    result = read_period(
        month=values["month"],
        quarter=values["quarter"],
        year=values["year"],
        first=values["from"],
        last=values["to"],
    )
    return result if isinstance(result, Refused) else result.value


def _last_month(request: Request) -> Period:
    first_of_this = queries.local_today(runtime(request).state).replace(day=1)
    previous = first_of_this - timedelta(days=1)
    return month_period(previous.year, previous.month)


def _context(report: queries.Report) -> dict[str, Any]:
    return {
        "report": report,
        "labels": queries.LABELS,
        "sections": queries.SECTIONS,
        "kinds": BY_ID,
    }


@requires(*STAFF)
async def report_page(request: Request) -> Response:
    rt = runtime(request)
    default = _last_month(request)
    period = _period_from(request, default)
    if isinstance(period, Refused):
        return rt.renderer.page(
            request,
            "staff/report.html",
            status_code=400,
            problem=period.reason,
            chosen=default,
            query="",
            page_title=N_("Impact report"),
        )
    report = await queries.impact_report(rt.state, period)
    return rt.renderer.page(
        request,
        "staff/report.html",
        chosen=period,
        query=f"from={period.first.isoformat()}&to={period.last.isoformat()}",
        page_title=N_("Impact report"),
        **_context(report),
    )


@requires(*STAFF)
async def report_pdf(request: Request) -> Response:
    rt = runtime(request)
    period = _period_from(request, _last_month(request))
    if isinstance(period, Refused):
        return rt.renderer.error(request, 400, period.reason)
    report = await queries.impact_report(rt.state, period)
    pdf, _pages = await documents.to_pdf(
        rt.state, "paper/report.html", language_of(request), **_context(report)
    )
    name = f"wirkungsbericht-{period.first.isoformat()}-{period.last.isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Vary": "Cookie"},
    )


routes = [
    Route("/staff/report", report_page),
    Route("/staff/report.pdf", report_pdf),
]
