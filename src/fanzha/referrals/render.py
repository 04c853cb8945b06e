"""The referral package as a printable document: HTML from a Jinja2 template, PDF from that HTML.

The PDF is laid out by WeasyPrint, which needs pango (a system library) and, for the Chinese text, a
CJK font: ``make`` installs ``fonts-noto-cjk`` and pango on Debian. Neither is imported until a PDF
is asked for, so the rest of fanzha runs without them.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from starlette.responses import Response

from fanzha.kit.errors import DependencyUnavailable
from fanzha.referrals.schemas import PackageFormat, ReferralState
from fanzha.referrals.service import PackageView

TEMPLATE = "referral.html.j2"

_DESTINATIONS = {
    "police": "公安机关 / police",
    "finance": "金融主管部门 / financial regulator",
    "telecom": "电信主管部门 / telecom regulator",
    "cac": "网信部门 / cyberspace administration",
    "partner": "合作单位 / partner",
}
_RISK = {"high": "高 / high", "medium": "中 / medium", "low": "低 / low"}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fanzha.referrals", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html(package: dict[str, Any], *, sha: str, state: str, approved_by: str | None) -> str:
    """The package as a standalone HTML page (print styles included), with its SHA-256 printed on it."""
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            package=package,
            sha=sha,
            state=state,
            approved_by=approved_by,
            masked=package.get("masked"),
            destination=_DESTINATIONS.get(
                package["referral"]["recipient"]["type"], package["referral"]["recipient"]["type"]
            ),
            risk=_RISK.get(package["referral"]["risk_degree"], package["referral"]["risk_degree"]),
        )
    )


def pdf(document: str) -> bytes:
    """``document`` (HTML) laid out as PDF.

    Raises:
        DependencyUnavailable: WeasyPrint or its system libraries (pango) are not installed.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the pango shared libraries are missing
        raise DependencyUnavailable(
            f"PDF rendering is unavailable: {error}; install pango and fonts-noto-cjk (make system-deps)",
            zh=f"无法生成 PDF：{error}；请安装 pango 和 fonts-noto-cjk（make system-deps）",
        ) from None
    data: bytes = weasyprint.HTML(string=document).write_pdf()
    return data


MEDIA_TYPES = {
    PackageFormat.json: "application/json",
    PackageFormat.html: "text/html; charset=utf-8",
    PackageFormat.pdf: "application/pdf",
}


def document(view: PackageView, fmt: PackageFormat) -> bytes:
    """The package in ``fmt``: the stored JSON bytes themselves, or the HTML/PDF rendering of them."""
    if fmt is PackageFormat.json:
        return view.data
    approved_by = None if view.state is ReferralState.rejected else view.decided_by
    page = html(view.package, sha=view.sha, state=view.state.value, approved_by=approved_by)
    if fmt is PackageFormat.html:
        return page.encode("utf-8")
    return pdf(page)


def filename(view: PackageView, fmt: PackageFormat) -> str:
    suffix = "" if view.revealed else "-masked"
    return f"referral-{view.referral_id}{suffix}.{fmt.value}"


def download(view: PackageView, fmt: PackageFormat) -> Response:
    """The package as a file download, with its hash in a header (the API's and the console's answer).

    Call it after the transaction: laying out a PDF takes a while and needs no database."""
    return Response(
        document(view, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "X-Fanzha-Package-SHA256": view.sha,
            "Content-Disposition": f'attachment; filename="{filename(view, fmt)}"',
        },
    )


def pdf_available() -> str | None:
    """None when PDFs can be rendered, else why not (for tests and the CLI)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        return str(error)
    return None
