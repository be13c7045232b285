"""Where single sign-on sends a person afterwards: a path of this server, never another site."""

from __future__ import annotations

import pytest

from server.api.sso import _next


@pytest.mark.parametrize("asked", ["/board/school", "/devices/SN1?lang=bg", "/admin#people"])
def test_a_path_of_this_server_is_kept(asked: str) -> None:
    assert _next(asked) == asked


@pytest.mark.parametrize(
    "asked", [None, "", "//evil.example", "https://evil.example/", "/\\evil.example", "board", "javascript:x"]
)
def test_anything_else_goes_to_the_board(asked: str | None) -> None:
    assert _next(asked) == "/board"


def test_a_very_long_path_is_cut() -> None:
    assert len(_next("/" + "a" * 10_000)) == 500
