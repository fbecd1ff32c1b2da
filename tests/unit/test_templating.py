"""Every page is written one way: Jinja2 templates that escape by default."""
import ast
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from web import templating

WEB = Path(__file__).resolve().parents[2] / "web"


def test_no_web_module_builds_html_by_hand():
    """string.Template and html.escape were the old hand-escaping way; charts escape through markupsafe."""
    for path in WEB.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("string", "html"):
                names = {a.name for a in node.names}
                assert not names & {"Template", "escape"}, f"{path.name} builds HTML by hand"


def test_a_value_reaches_the_page_escaped():
    app = web.Application()
    templating.setup(app)
    request = make_mocked_request("GET", "/", app=app)
    page = templating.render(request, "dashboard/base.html", {
        "T": __import__("web.dashboard_texts", fromlist=["x"]), "title": "<b>x</b>", "staff": None, "banner": "",
        "csrf": "t", "error": False, "message": '<script>alert("1")</script>', "back": False})
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text and "<b>x</b>" not in page.text
