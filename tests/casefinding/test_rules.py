"""The rules of spec/case-finding.md: exclusions in order, the site table, report text with negation."""

from datetime import date

import pytest

from casefinding import rules

EVENT = date(2026, 11, 1)
OLD = date(1948, 5, 5)


def decide(codes=(), report="", birth=OLD, event=EVENT):
    return rules.decide(
        birth_date=birth, event_date=event, codes=tuple(map(rules.normalise_code, codes)), report_text=report
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [("S72.0", "S72.0"), ("S720", "S72.0"), ("s72.01", "S72.0"), ("S72.00XA", "S72.0"), ("T08", "T08"),
     (" M80.08 ", "M80.0"), ("fracture", ""), ("", "")],
)  # fmt: skip
def test_codes_are_read_with_or_without_the_dot(raw, code):
    assert rules.normalise_code(raw) == code


@pytest.mark.parametrize(
    ("code", "site"),
    [("S72.0", "hip"), ("S72.2", "hip"), ("S72.3", "femur"), ("S72.9", "femur"), ("S12.1", "spine"), ("S22.0", "spine"),
     ("S22.1", "spine"), ("S32.0", "spine"), ("T08", "spine"), ("M48.5", "spine"), ("S32.1", "pelvis"), ("S32.8", "pelvis"),
     ("S52.5", "wrist"), ("S52.6", "wrist"), ("S42.2", "humerus"), ("S42.4", "humerus"), ("S22.3", "rib"), ("S22.4", "rib"),
     ("S82.5", "ankle"), ("S82.6", "ankle"), ("S82.8", "ankle"), ("S82.1", "tibia_fibula"), ("S82.4", "tibia_fibula"),
     ("S82.7", "tibia_fibula"), ("S82.9", "tibia_fibula"), ("S22.2", "other"), ("S42.0", "other"), ("S42.1", "other"),
     ("S42.7", "other"), ("S42.9", "other"), ("S52.0", "other"), ("S52.4", "other"), ("S52.7", "other"), ("S52.9", "other"),
     ("S82.0", "other"), ("T02", "other"), ("T10", "other"), ("T12", "other"), ("M80.0", "other"), ("M80.9", "other")],
)  # fmt: skip
def test_each_fracture_code_gives_its_site(code, site):
    assert decide([code]).site == site
    assert decide([code]).excluded == ""


def test_the_first_code_that_maps_decides_the_site():
    assert decide(["W01", "S52.5", "S72.0"]).site == "wrist"


def test_a_spine_code_leaves_the_detection_blank():
    assert (decide(["S22.0"]).site, decide(["S22.0"]).spine_detection) == ("spine", "")


@pytest.mark.parametrize(
    ("birth", "excluded"),
    [(date(1976, 11, 2), "age"), (date(1976, 11, 1), ""), (None, "age"), (date(2027, 1, 1), "age")],
    ids=["49-the-day-before-50", "50-on-the-day", "no-birth-date", "born-after-the-event"],
)
def test_age_fifty_on_the_event_date(birth, excluded):
    assert decide(["S72.0"], birth=birth).excluded == excluded


@pytest.mark.parametrize(
    ("codes", "reason"),
    [
        (["S72.0", "V43.5"], "high_energy"),
        (["V01"], "high_energy"),
        (["V99"], "high_energy"),
        (["S72.0", "M84.5"], "neoplastic"),
        (["S32.0", "C41.2"], "neoplastic"),
        (["C40.2", "S82.1"], "neoplastic"),
        (["S22.0", "C79.5"], "neoplastic"),
        (["S02.1"], "not_fragility_site"),
        (["S62.3", "S92.0"], "not_fragility_site"),
        (["W01"], "no_fracture"),
        ([], "no_fracture"),
        (["C79.4", "S72.0"], ""),  # secondary malignancy elsewhere than bone: not excluded
        (["S62.3", "S52.5"], ""),  # a hand fracture beside a wrist fracture: the wrist is a fragility site
        (["W19", "S72.1"], ""),  # a fall: low energy
    ],
)
def test_each_exclusion(codes, reason):
    assert decide(codes).excluded == reason


def test_the_first_exclusion_that_applies_is_the_reason():
    assert decide(["V43.5", "M84.5", "S62.0"], birth=date(1990, 1, 1)).excluded == "age"
    assert decide(["V43.5", "M84.5", "S62.0"]).excluded == "high_energy"
    assert decide(["M84.5", "S62.0"]).excluded == "neoplastic"


FOUND = {
    "en": "CT abdomen: incidental compression fracture of L1 with 30% height loss.",
    "ru": "На КТ: компрессионный перелом тела L1 позвонка.",
    "fr": "Scanner: fracture-tassement de L2, d'allure ostéoporotique.",
    "it": "TC: crollo vertebrale di T12.",
    "es": "TC: Fractura vertebral en cuña de T11.",
    "zh-Hant": "電腦斷層：第一腰椎壓迫性骨折。",
}
NEGATED = {
    "en": "No evidence of acute vertebral fracture.",
    "ru": "Без признаков компрессионного перелома.",
    "fr": "Pas de fracture vertébrale récente.",
    "it": "Non si osserva frattura vertebrale.",
    "es": "Sin fractura vertebral.",
    "zh-Hant": "未見椎體骨折。",
}


@pytest.mark.parametrize("language", sorted(FOUND))
def test_a_report_finds_a_vertebral_fracture_in_each_language(language):
    decision = decide(["R10.4"], FOUND[language])
    assert (decision.site, decision.spine_detection, decision.excluded) == ("spine", "radiological", "")
    (span,) = decision.report.spans
    assert FOUND[language][span[0] : span[1]].lower() in {t.lower() for t in rules.TERMS[language]}


@pytest.mark.parametrize("language", sorted(NEGATED))
def test_a_negation_in_each_language_cancels_the_term(language):
    decision = decide([], NEGATED[language])
    assert decision.excluded == "no_fracture"
    assert decision.report.negated and not decision.report.spans


def test_a_negation_more_than_five_words_before_does_not_cancel():
    assert decide([], "No pleural effusion, the lungs are clear and there is a wedge fracture of T8.").site == "spine"
    assert decide([], "No other change in the lungs; compression fracture of T8 is new.").site == "spine"


def test_a_negation_in_an_earlier_sentence_does_not_cancel():
    assert decide([], "No pneumothorax. Compression fracture of T7.").site == "spine"


def test_terms_match_on_word_boundaries_only():
    assert decide([], "Recompression fractured plates.").excluded == "no_fracture"


def test_codes_give_the_site_before_the_report():
    decision = decide(["S72.0"], FOUND["en"])
    assert (decision.site, decision.spine_detection) == ("hip", "")
    assert decision.report.spans


def test_a_report_does_not_rescue_a_skull_fracture_alone():
    assert decide(["S02.0"], FOUND["en"]).excluded == "not_fragility_site"
