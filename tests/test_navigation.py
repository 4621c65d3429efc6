"""The one page list matches the pages/ folder, and every page file calls the guard first."""

import ast
from pathlib import Path

import pytest

from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))


def test_every_page_file_is_listed_once_and_every_listed_page_exists():
    listed = [p.path for p in PAGES]
    assert len(set(listed)) == len(listed)
    assert sorted(listed) == [f"pages/{f.name}" for f in PAGE_FILES]


def _first_statement_after_imports(tree: ast.Module) -> ast.stmt:
    body = list(tree.body)
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return next(s for s in body if not isinstance(s, ast.Import | ast.ImportFrom))


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_each_page_calls_ensure_app_before_anything_else(path: Path):
    first = _first_statement_after_imports(ast.parse(path.read_text()))
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Call), ast.dump(first)
    assert ast.unparse(first.value.func) == "ensure_app"
    assert not first.value.args


def test_only_the_guard_and_the_page_list_know_about_streamlits_pages_folder_mode():
    # app.py builds its navigation from the same list the guard declares.
    assert "navigation.navigation(" in (ROOT / "app.py").read_text()
