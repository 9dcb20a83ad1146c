"""The PDF module: Markdown subset, chart colouring, a handout that pypdf can read."""

from __future__ import annotations

import io

from pypdf import PdfReader

from filiform.reports.pdf import chart_markup, handout_pdf, intensity_colour, markdown_to_html


def test_markdown_subset_and_escaping() -> None:
    html = markdown_to_html("## Care\n\n- one\n  continued\n- **two** <script>\n\n1. first\n\nText *soft*.")
    assert "<h2>Care</h2>" in html
    assert "<li>one continued</li>" in html
    assert "<strong>two</strong> &lt;script&gt;" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert "<p>Text <em>soft</em>.</p>" in html


def test_chart_fills_by_intensity_with_attributes() -> None:
    svg = str(chart_markup([{"region": "right-temple-middle", "intensity": 9}]))
    assert f'data-region="right-temple-middle" data-name="Right temple (middle)" fill="{intensity_colour(9)}"' in svg
    assert "font:" not in svg  # spelt out for WeasyPrint


def test_handout_pdf_text() -> None:
    data = handout_pdf("## After your session\n\n- Soreness settles.", title="Your treatment", patient_name="Ada Quill")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Your treatment" in text and "Ada Quill" in text and "Soreness settles." in text
