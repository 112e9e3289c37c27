"""Interpreter languages: BCP 47 tags matched with RFC 4647 basic filtering, any case (spec section 4)."""

import pytest

from readout.domain.languages import served_by_any, serves
from tests.domain.builders import interpreter


@pytest.mark.parametrize(
    ("requested", "spoken"),
    [
        ("pt", "pt"),
        ("pt", "pt-BR"),
        ("pt", "pt-PT"),
        ("pt", "PT-br"),
        ("PT", "pt-BR"),
        ("pt-BR", "pt-BR"),
        ("pt-BR", "pt-br"),
        ("pt-br", "PT-BR"),
        ("pt-BR", "pt-BR-x-legal"),  # a longer tag that starts with the range and a hyphen
        ("zh-Hant", "zh-Hant-TW"),
        ("*", "es"),  # RFC 4647: the wildcard range matches every tag
    ],
)
def test_a_tag_serves_a_range_it_equals_or_extends(requested: str, spoken: str) -> None:
    assert serves(spoken, requested)


@pytest.mark.parametrize(
    ("requested", "spoken"),
    [
        ("pt-BR", "pt"),  # the broader tag does not serve a narrower request
        ("pt-BR", "pt-PT"),
        ("pt", "ptx"),  # a prefix counts only up to a hyphen
        ("pt-B", "pt-BR"),
        ("es", "pt"),
        ("pt_BR", "pt-BR"),  # malformed tags are not refused here, they just match only themselves
        ("Portuguese", "pt"),
    ],
)
def test_a_tag_does_not_serve_a_narrower_or_different_range(requested: str, spoken: str) -> None:
    assert not serves(spoken, requested)


def test_malformed_tags_still_match_themselves_case_insensitively() -> None:
    assert serves("Portuguese", "portuguese")
    assert serves("pt_BR", "PT_br")


def test_any_of_the_interpreters_languages_may_serve() -> None:
    assert served_by_any(("de", "pt-BR"), "pt")
    assert not served_by_any(("de", "pt"), "pt-BR")
    assert not served_by_any((), "pt")


def test_interpreter_speaking_a_regional_variant_qualifies_for_the_bare_language() -> None:
    brazil = interpreter("ana", langs=("pt-BR",), approved=("acme",))
    assert brazil.qualifies("pt", "acme")
    assert brazil.qualifies("PT-br", "acme")
    assert not brazil.qualifies("pt-PT", "acme")
    assert not brazil.qualifies("pt", "globex")  # still only for the customers it is approved for


def test_interpreter_speaking_the_bare_language_does_not_qualify_for_a_region() -> None:
    assert not interpreter("rui", langs=("pt",)).qualifies("pt-BR", "acme")
