"""The category taxonomy: the shipped file, display order, resolving what staff type."""

from __future__ import annotations

import json
import re

import pytest

from app.domain.categories import (
    MAX_CATEGORIES,
    Category,
    load_categories,
    resolve_categories,
    resolve_category,
    resource_path,
)
from app.errors import InputError

DOMAIN_LIST = [
    "physical-abuse", "emotional-abuse", "sexual-abuse", "neglect", "domestic-abuse",
    "child-on-child", "online-safety", "cse", "cce", "radicalisation", "fgm", "forced-marriage",
    "trafficking", "self-harm", "mental-health", "substance-misuse", "attendance", "missing",
    "young-carer", "private-fostering", "fii", "bereavement", "family-circumstances", "other",
]  # fmt: skip


@pytest.fixture(scope="module")
def categories() -> list[Category]:
    return load_categories()


def test_default_file_holds_every_domain_category_once(categories):
    assert sorted(c.code for c in categories) == sorted(DOMAIN_LIST)
    assert all(c.label and c.description for c in categories)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.code) for c in categories)


def test_common_first_then_file_order_with_other_last(categories):
    flags = [c.common for c in categories]
    assert flags == sorted(flags, reverse=True)
    assert 4 <= sum(flags) <= 8  # a handful
    rest = [c.code for c in categories if not c.common]
    assert rest == [code for code in DOMAIN_LIST if code in rest]
    assert categories[-1].code == "other"


def test_resource_path_finds_the_checkout_resources():
    assert resource_path("categories.json").is_file()
    assert resource_path("categories.json").parent.name == "resources"


def test_resource_path_uses_meipass_when_frozen(tmp_path, monkeypatch):
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    assert resource_path("categories.json") == tmp_path / "resources" / "categories.json"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("neglect", "neglect"),
        ("NEGLECT", "neglect"),
        ("  Physical abuse ", "physical-abuse"),
        ("physical-abuse", "physical-abuse"),
        ("physical_abuse", "physical-abuse"),
        ("CCE", "cce"),
        ("Child criminal exploitation (CCE)", "cce"),
        ("county lines", "cce"),
        ("Prevent", "radicalisation"),
        ("Operation Encompass", "domestic-abuse"),
        ("bullying", "child-on-child"),
        ("online-safety", "online-safety"),
    ],
)
def test_resolve_accepts_code_label_or_alias_in_any_case(categories, typed, code):
    assert resolve_category(typed, categories).code == code


def test_unknown_category_suggests_close_matches(categories):
    with pytest.raises(InputError) as caught:
        resolve_category("negelct", categories)
    assert caught.value.field == "category"
    assert caught.value.problem.startswith("unknown category 'negelct'; did you mean: ")
    assert "Neglect (neglect)" in caught.value.problem


def test_a_word_inside_labels_suggests_those_categories(categories):
    with pytest.raises(InputError) as caught:
        resolve_category("abuse", categories)
    assert "did you mean" in caught.value.problem and "(physical-abuse)" in caught.value.problem


def test_nothing_close_lists_the_codes(categories):
    with pytest.raises(InputError) as caught:
        resolve_category("qqqqqq", categories)
    assert "the categories are: physical-abuse" in caught.value.problem


def test_echoed_text_is_cleaned_and_shortened(categories):
    with pytest.raises(InputError) as caught:
        resolve_category("zz\x1b[31m" + "z" * 100, categories)
    assert "\x1b" not in str(caught.value) and "…" in str(caught.value)
    with pytest.raises(InputError, match="is empty"):
        resolve_category("   ", categories)


def test_resolve_categories_limits_to_three_distinct(categories):
    chosen = resolve_categories(["neglect", "Neglect", "online safety"], categories)
    assert [c.code for c in chosen] == ["neglect", "online-safety"]
    with pytest.raises(InputError, match=f"at most {MAX_CATEGORIES}"):
        resolve_categories(["neglect", "cce", "cse", "fgm"], categories)
    with pytest.raises(InputError, match="at least one"):
        resolve_categories([], categories)


def _write(tmp_path, payload) -> object:
    path = tmp_path / "cats.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), "utf-8")
    return path


def test_a_school_file_loads_in_display_order(tmp_path):
    path = _write(tmp_path, {"categories": [
        {"code": "a", "label": "A", "description": "first"},
        {"code": "b", "label": "B", "description": "second", "common": True},
    ]})  # fmt: skip
    assert [c.code for c in load_categories(path)] == ["b", "a"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("not json", "not valid UTF-8 JSON"),
        ({"categories": []}, "no list of categories"),
        ({"categories": [{"code": "Bad Code", "label": "x"}]}, "entry 1: code must be"),
        ({"categories": [{"code": "a", "label": " "}]}, "entry 1: has no label"),
        ({"categories": [{"code": "a", "label": "A", "common": "yes"}]}, "true or false"),
        (
            {"categories": [{"code": "a", "label": "Same"}, {"code": "b", "label": "same"}]},
            "'same' names both a and b",
        ),
    ],
)
def test_a_bad_file_says_what_is_wrong(tmp_path, payload, problem):
    with pytest.raises(InputError, match=re.escape(problem)):
        load_categories(_write(tmp_path, payload))


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_categories(tmp_path / "absent.json")
