"""CAMEO actor codes (as GDELT uses them): split a code into its country and role parts, name it and type it (pure).

A CAMEO actor code is a run of three-letter parts: an optional country or region code (ISO 3166-1 alpha-3 for
states), then role codes (``GOV`` government, ``MIL`` military, ``REB`` rebels, …), e.g. ``GEOGOVMIL``. Role labels
follow the CAMEO codebook (Schrodt 2012, *CAMEO Conflict and Mediation Event Observations Event and Actor Codebook*,
v1.1b3, chapter 3, "Actor codebook"), as GDELT publishes them in its ``CAMEO.type.txt`` lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.actors.model import ActorKind
from detente.events.countries import by_iso3

__all__ = ["ROLE_LABELS", "CameoCode", "parse_code"]

ROLE_LABELS: dict[str, str] = {
    "COP": "Police forces",
    "GOV": "Government",
    "INS": "Insurgents",
    "JUD": "Judiciary",
    "MIL": "Military",
    "OPP": "Political opposition",
    "REB": "Rebels",
    "SEP": "Separatist rebels",
    "SPY": "State intelligence",
    "UAF": "Unaligned armed forces",
    "AGR": "Agriculture",
    "BUS": "Business",
    "CRM": "Criminal",
    "CVL": "Civilian",
    "DEV": "Development",
    "EDU": "Education",
    "ELI": "Elites",
    "ENV": "Environmental",
    "HLH": "Health",
    "HRI": "Human rights",
    "LAB": "Labor",
    "LEG": "Legislature",
    "MED": "Media",
    "REF": "Refugees",
    "MOD": "Moderate",
    "RAD": "Radical",
    "AMN": "Amnesty International",
    "IRC": "Red Cross",
    "GRP": "Greenpeace",
    "UNO": "United Nations",
    "PKO": "Peacekeepers",
    "UIS": "Unidentified state actor",
    "IGO": "Inter-governmental organization",
    "IMG": "International militarized group",
    "INT": "International/transnational generic",
    "MNC": "Multinational corporation",
    "NGM": "Non-governmental movement",
    "NGO": "Non-governmental organization",
    "SET": "Settler",
}

#: role code -> kind; the first role of a code that has a kind decides (so GEOGOVMIL is a government actor)
_KIND: dict[str, ActorKind] = {
    "GOV": ActorKind.GOVERNMENT,
    "LEG": ActorKind.GOVERNMENT,
    "JUD": ActorKind.GOVERNMENT,
    "UIS": ActorKind.GOVERNMENT,
    "MIL": ActorKind.STATE_FORCES,
    "COP": ActorKind.STATE_FORCES,
    "SPY": ActorKind.STATE_FORCES,
    "REB": ActorKind.REBEL_GROUP,
    "INS": ActorKind.REBEL_GROUP,
    "SEP": ActorKind.REBEL_GROUP,
    "UAF": ActorKind.POLITICAL_MILITIA,
    "IMG": ActorKind.EXTERNAL_FORCE,
    "OPP": ActorKind.POLITICAL_PARTY,
    "IGO": ActorKind.INTERNATIONAL_ORGANISATION,
    "UNO": ActorKind.INTERNATIONAL_ORGANISATION,
    "PKO": ActorKind.INTERNATIONAL_ORGANISATION,
    "NGO": ActorKind.CIVIL_SOCIETY,
    "NGM": ActorKind.CIVIL_SOCIETY,
    "HRI": ActorKind.CIVIL_SOCIETY,
    "AMN": ActorKind.CIVIL_SOCIETY,
    "IRC": ActorKind.CIVIL_SOCIETY,
    "GRP": ActorKind.CIVIL_SOCIETY,
    "LAB": ActorKind.CIVIL_SOCIETY,
    "EDU": ActorKind.CIVIL_SOCIETY,
    "HLH": ActorKind.CIVIL_SOCIETY,
    "ENV": ActorKind.CIVIL_SOCIETY,
    "DEV": ActorKind.CIVIL_SOCIETY,
    "AGR": ActorKind.CIVIL_SOCIETY,
    "BUS": ActorKind.BUSINESS,
    "MNC": ActorKind.BUSINESS,
    "MED": ActorKind.MEDIA,
    "CRM": ActorKind.CRIMINAL,
    "CVL": ActorKind.CIVILIANS,
    "REF": ActorKind.REFUGEES,
    "SET": ActorKind.OTHER,  # settlers: civilians in law, but often armed parties to the dispute; no default
    "ELI": ActorKind.OTHER,
    "INT": ActorKind.OTHER,
}


@dataclass(frozen=True)
class CameoCode:
    code: str
    country_iso3: str | None
    place: str | None  # a region or non-ISO place prefix (``EUR``, ``WSB``), when not a state
    roles: tuple[str, ...]

    @property
    def kind(self) -> ActorKind:
        for role in self.roles:
            if role in _KIND:
                return _KIND[role]
        if self.country_iso3 is not None:
            return ActorKind.COUNTRY
        return ActorKind.UNKNOWN

    @property
    def label(self) -> str:
        """A readable name: ``Georgia: Government, Military``; roles alone when there is no country."""
        parts = [ROLE_LABELS.get(r, r) for r in self.roles]
        where = None
        if self.country_iso3 is not None:
            country = by_iso3(self.country_iso3)
            where = country.name if country is not None else self.country_iso3
        elif self.place is not None:
            where = self.place
        if where and parts:
            return f"{where}: {', '.join(parts)}"
        return where or ", ".join(parts) or self.code

    @property
    def parent_code(self) -> str | None:
        """The code one level up (``GEOGOVMIL`` -> ``GEOGOV`` -> ``GEO``); None for a single part."""
        return self.code[:-3] if len(self.code) > 3 else None


def parse_code(code: str) -> CameoCode:
    """Split a CAMEO actor code into parts (any trailing part shorter than three letters is kept as a role)."""
    code = code.strip().upper()
    parts = tuple(code[i : i + 3] for i in range(0, len(code), 3))
    if not parts:
        return CameoCode(code, None, None, ())
    head = parts[0]
    if head in ROLE_LABELS:
        return CameoCode(code, None, None, parts)
    country = by_iso3(head)
    if country is not None:
        return CameoCode(code, country.iso3, None, parts[1:])
    return CameoCode(code, None, head, parts[1:])
