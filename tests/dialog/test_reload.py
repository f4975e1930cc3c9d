"""DialogEngine.reload_definitions: an edited taxonomy takes effect from the next message, without a
restart; a broken file leaves the engine as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dialog.taxonomy import TaxonomyError
from tests.dialog.conftest import Desk
from tests.dialog.test_taxonomy import shipped, write
from tests.dialog.transcript import contains, converse


async def test_a_renamed_category_shows_after_a_reload(make_engine: Callable[..., Desk],
                                                      tmp_path: Path) -> None:
    raw = shipped()
    path = write(tmp_path, raw)
    desk = make_engine(taxonomy_file=path)
    raw["categories"][4]["names"] = {"es": "Impresión", "pt": "Impressão", "en": "Print room"}
    write(tmp_path, raw)
    categories, playbooks = desk.engine.reload_definitions()
    assert categories == len(raw["categories"]) and playbooks > 0
    await converse(desk, [
        ("user", "my printer shows offline and will not print"),
        ("user", "the HP by the kitchen"), ("user", "it can wait"), ("user", "no"),
        ("bot", contains("I've created ticket INC-000001 (Print room)")),
    ])


def test_a_broken_file_keeps_the_previous_definitions(make_engine: Callable[..., Desk],
                                                     tmp_path: Path) -> None:
    path = write(tmp_path, shipped())
    desk = make_engine(taxonomy_file=path)
    before = (desk.engine.taxonomy, desk.engine.playbooks, desk.engine.settings)
    path.write_text("version: 1\ncategories: []\n", "utf-8")
    with pytest.raises(TaxonomyError):
        desk.engine.reload_definitions()
    assert (desk.engine.taxonomy, desk.engine.playbooks, desk.engine.settings) == before
