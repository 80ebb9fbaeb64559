"""The canonical event taxonomy and its mapping from ACLED, UCDP GED and CAMEO (GDELT).

Two levels: a *category* (12 values, what early warning counts) and a *subcategory* (finer, shared across sources
where the meaning coincides). ``docs/taxonomy.md`` lists the whole mapping; a test checks that every ACLED
sub-event type, UCDP violence type and CAMEO root code maps, and that the document matches these tables.

Sources of the codes: ACLED Codebook (2021, and the 2022 event-category table); UCDP GED Codebook 22.1
(``type_of_violence``); CAMEO Conflict and Mediation Event Observations Codebook 1.1b3 (Gerner, Schrodt et al. 2012)
with GDELT's QuadClass grouping of root codes (GDELT Event Codebook 2.0, as GDELT's records apply it).
"""

from __future__ import annotations

__all__ = [
    "ACLED_MAP",
    "CAMEO_BASE_OVERRIDES",
    "CAMEO_ROOT_MAP",
    "CATEGORIES",
    "SUBCATEGORIES",
    "UCDP_MAP",
    "VIOLENT_CATEGORIES",
    "from_acled",
    "from_cameo",
    "from_ucdp",
    "quad_class_of_root",
]

CATEGORIES: dict[str, str] = {
    "battle": "Armed clash between organised armed groups (incl. territory taken or regained).",
    "remote_violence": (
        "Violence at a distance: shelling, air/drone strikes, bombs, IEDs, chemical or mass-destruction weapons."
    ),
    "violence_against_civilians": (
        "Deliberate violence by an organised group against unarmed civilians (one-sided violence)."
    ),
    "riot": "Violent demonstration or mob violence.",
    "protest": "Public demonstration, peaceful or met with intervention.",
    "coercion": (
        "Material conflict short of fighting: arrests, blockades, force posture, sanctions, expulsions of envoys."
    ),
    "threat": "Threats of force, sanctions or other harm.",
    "verbal_conflict": "Demands, accusations, criticism, rejection.",
    "verbal_cooperation": "Statements, appeals, intent to cooperate, consultations, diplomatic cooperation.",
    "material_cooperation": "Material cooperation, aid, concessions, investigation.",
    "strategic_development": (
        "Non-violent but significant developments (agreements, bases, territory transfers, looting)."
    ),
    "other": "Anything a source codes that has no canonical meaning here.",
}

VIOLENT_CATEGORIES: frozenset[str] = frozenset({"battle", "remote_violence", "violence_against_civilians", "riot"})

SUBCATEGORIES: dict[str, str] = {
    # battle
    "armed_clash": "Armed clash",
    "territory_regained": "Government regains territory",
    "territory_taken": "Non-state actor overtakes territory",
    "state_based": "UCDP state-based armed conflict",
    "non_state": "UCDP non-state conflict",
    "ceasefire_violation": "Violation of a ceasefire",
    "occupation": "Occupation of territory",
    # remote violence
    "chemical_weapon": "Chemical weapon",
    "air_drone_strike": "Air or drone strike",
    "suicide_bomb": "Suicide, car or other non-military bombing",
    "shelling": "Shelling, artillery or missile attack",
    "remote_explosive": "Remote explosive, landmine or IED",
    "grenade": "Grenade",
    "mass_destruction_weapon": "Chemical, biological, radiological or nuclear weapon",
    # violence against civilians
    "sexual_violence": "Sexual violence",
    "attack": "Attack on civilians",
    "abduction": "Abduction, hostage taking or forced disappearance",
    "one_sided": "UCDP one-sided violence",
    "assassination": "Assassination or attempt",
    "mass_killing": "Mass killing, ethnic cleansing or mass expulsion",
    "assault": "Physical assault, torture",
    # protest / riot
    "peaceful_protest": "Peaceful protest",
    "protest_with_intervention": "Protest with intervention",
    "excessive_force_against_protesters": "Excessive force against protesters",
    "violent_demonstration": "Violent demonstration",
    "mob_violence": "Mob violence",
    # coercion
    "arrests": "Arrests, detentions",
    "force_posture": "Show of force, mobilisation, alert",
    "reduce_relations": "Reduction or break of relations, sanctions, embargo",
    "blockade": "Blockade, restriction of movement",
    "repression": "Repression, coercive measures",
    # verbal / material interaction
    "statement": "Public statement",
    "appeal": "Appeal or request",
    "intent_to_cooperate": "Expressed intent to cooperate",
    "consult": "Consultation, meeting, negotiation",
    "diplomatic_cooperation": "Diplomatic cooperation",
    "material_cooperation": "Material cooperation",
    "aid": "Provision of aid",
    "yield": "Concession, yielding",
    "investigate": "Investigation",
    "demand": "Demand",
    "disapprove": "Disapproval, criticism, accusation",
    "reject": "Rejection, refusal",
    "threaten": "Threat",
    # strategic developments
    "agreement": "Agreement",
    "change_to_group": "Change to group or activity",
    "disrupted_weapons_use": "Disrupted weapons use",
    "base_established": "Headquarters or base established",
    "looting": "Looting or property destruction",
    "territory_transfer": "Non-violent transfer of territory",
    "other": "Other",
}

# ----------------------------------------------------------------------------------------------------
# ACLED: (event_type, sub_event_type) -> (category, subcategory)
# ----------------------------------------------------------------------------------------------------
ACLED_MAP: dict[tuple[str, str], tuple[str, str]] = {
    ("Battles", "Armed clash"): ("battle", "armed_clash"),
    ("Battles", "Government regains territory"): ("battle", "territory_regained"),
    ("Battles", "Non-state actor overtakes territory"): ("battle", "territory_taken"),
    ("Explosions/Remote violence", "Chemical weapon"): ("remote_violence", "chemical_weapon"),
    ("Explosions/Remote violence", "Air/drone strike"): ("remote_violence", "air_drone_strike"),
    ("Explosions/Remote violence", "Suicide bomb"): ("remote_violence", "suicide_bomb"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"): ("remote_violence", "shelling"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"): ("remote_violence", "remote_explosive"),
    ("Explosions/Remote violence", "Grenade"): ("remote_violence", "grenade"),
    ("Violence against civilians", "Sexual violence"): ("violence_against_civilians", "sexual_violence"),
    ("Violence against civilians", "Attack"): ("violence_against_civilians", "attack"),
    ("Violence against civilians", "Abduction/forced disappearance"): (
        "violence_against_civilians",
        "abduction",
    ),
    ("Protests", "Peaceful protest"): ("protest", "peaceful_protest"),
    ("Protests", "Protest with intervention"): ("protest", "protest_with_intervention"),
    ("Protests", "Excessive force against protesters"): ("protest", "excessive_force_against_protesters"),
    ("Riots", "Violent demonstration"): ("riot", "violent_demonstration"),
    ("Riots", "Mob violence"): ("riot", "mob_violence"),
    ("Strategic developments", "Agreement"): ("strategic_development", "agreement"),
    ("Strategic developments", "Arrests"): ("coercion", "arrests"),
    ("Strategic developments", "Change to group/activity"): ("strategic_development", "change_to_group"),
    ("Strategic developments", "Disrupted weapons use"): ("strategic_development", "disrupted_weapons_use"),
    ("Strategic developments", "Headquarters or base established"): (
        "strategic_development",
        "base_established",
    ),
    ("Strategic developments", "Looting/property destruction"): ("strategic_development", "looting"),
    ("Strategic developments", "Non-violent transfer of territory"): (
        "strategic_development",
        "territory_transfer",
    ),
    ("Strategic developments", "Other"): ("strategic_development", "other"),
}

# Older ACLED exports (before 2019) used other type names; they map onto the same categories.
_ACLED_OLD_TYPES: dict[str, tuple[str, str]] = {
    "Battle-No change of territory": ("battle", "armed_clash"),
    "Battle-Government regains territory": ("battle", "territory_regained"),
    "Battle-Non-state actor overtakes territory": ("battle", "territory_taken"),
    "Remote violence": ("remote_violence", "other"),
    "Violence against civilians": ("violence_against_civilians", "attack"),
    "Riots/Protests": ("protest", "peaceful_protest"),
    "Strategic development": ("strategic_development", "other"),
    "Headquarters or base established": ("strategic_development", "base_established"),
    "Non-violent transfer of territory": ("strategic_development", "territory_transfer"),
}
_ACLED_TYPE_DEFAULT: dict[str, str] = {
    "Battles": "battle",
    "Explosions/Remote violence": "remote_violence",
    "Violence against civilians": "violence_against_civilians",
    "Protests": "protest",
    "Riots": "riot",
    "Strategic developments": "strategic_development",
}


def from_acled(event_type: str, sub_event_type: str | None) -> tuple[str, str] | None:
    """Map an ACLED type pair; ``None`` when the event type is unknown."""
    et = event_type.strip()
    st = (sub_event_type or "").strip()
    hit = ACLED_MAP.get((et, st))
    if hit is not None:
        return hit
    if et in _ACLED_OLD_TYPES:
        return _ACLED_OLD_TYPES[et]
    if et in _ACLED_TYPE_DEFAULT:
        return (_ACLED_TYPE_DEFAULT[et], "other")
    return None


# ----------------------------------------------------------------------------------------------------
# UCDP GED: type_of_violence -> (category, subcategory)
# ----------------------------------------------------------------------------------------------------
UCDP_MAP: dict[int, tuple[str, str]] = {
    1: ("battle", "state_based"),
    2: ("battle", "non_state"),
    3: ("violence_against_civilians", "one_sided"),
}


def from_ucdp(type_of_violence: int) -> tuple[str, str] | None:
    """Map UCDP ``type_of_violence`` (1 state-based, 2 non-state, 3 one-sided)."""
    return UCDP_MAP.get(type_of_violence)


# ----------------------------------------------------------------------------------------------------
# CAMEO: root code (2 digits) -> (category, subcategory); base/event codes may refine it.
# ----------------------------------------------------------------------------------------------------
CAMEO_ROOT_MAP: dict[str, tuple[str, str]] = {
    "01": ("verbal_cooperation", "statement"),
    "02": ("verbal_cooperation", "appeal"),
    "03": ("verbal_cooperation", "intent_to_cooperate"),
    "04": ("verbal_cooperation", "consult"),
    "05": ("verbal_cooperation", "diplomatic_cooperation"),
    "06": ("material_cooperation", "material_cooperation"),
    "07": ("material_cooperation", "aid"),
    "08": ("material_cooperation", "yield"),
    "09": ("material_cooperation", "investigate"),
    "10": ("verbal_conflict", "demand"),
    "11": ("verbal_conflict", "disapprove"),
    "12": ("verbal_conflict", "reject"),
    "13": ("threat", "threaten"),
    "14": ("protest", "peaceful_protest"),
    "15": ("coercion", "force_posture"),
    "16": ("coercion", "reduce_relations"),
    "17": ("coercion", "repression"),
    "18": ("violence_against_civilians", "assault"),
    "19": ("battle", "armed_clash"),
    "20": ("violence_against_civilians", "mass_killing"),
}

#: Base or full event codes whose meaning differs from their root's (longest prefix wins).
CAMEO_BASE_OVERRIDES: dict[str, tuple[str, str]] = {
    "145": ("riot", "violent_demonstration"),  # protest violently, riot
    "173": ("coercion", "arrests"),  # arrest, detain, or charge with legal action
    "181": ("violence_against_civilians", "abduction"),  # abduct, hijack, or take hostage
    "1821": ("violence_against_civilians", "sexual_violence"),  # sexually assault
    "183": ("remote_violence", "suicide_bomb"),  # suicide, car, or other non-military bombing
    "185": ("violence_against_civilians", "assassination"),  # attempt to assassinate
    "186": ("violence_against_civilians", "assassination"),  # assassinate
    "191": ("coercion", "blockade"),  # impose blockade, restrict movement
    "192": ("battle", "occupation"),  # occupy territory
    "194": ("remote_violence", "shelling"),  # fight with artillery and tanks
    "195": ("remote_violence", "air_drone_strike"),  # employ aerial weapons
    "196": ("battle", "ceasefire_violation"),  # violate ceasefire
    "204": ("remote_violence", "mass_destruction_weapon"),  # use weapons of mass destruction
}


def quad_class_of_root(root: str) -> int | None:
    """GDELT QuadClass of a CAMEO root code: 01–05 → 1, 06–09 → 2, 10–14 → 3, 15–20 → 4.

    These are the boundaries GDELT's own records use (checked against the real GDELT 1.0 and 2.0 rows in the tests).
    """
    try:
        n = int(root)
    except ValueError:
        return None
    if 1 <= n <= 5:
        return 1
    if 6 <= n <= 9:
        return 2
    if 10 <= n <= 14:
        return 3
    if 15 <= n <= 20:
        return 4
    return None


def from_cameo(event_code: str) -> tuple[str, str] | None:
    """Map a CAMEO event code (``"0231"``, ``"19"``, ``"145"``…); ``None`` when its root is unknown."""
    code = event_code.strip()
    for length in (4, 3):
        if len(code) >= length and code[:length] in CAMEO_BASE_OVERRIDES:
            return CAMEO_BASE_OVERRIDES[code[:length]]
    return CAMEO_ROOT_MAP.get(code[:2])
