"""Which CDN region serves a listener: their country's continent, mapped as the seed does.

North and South America go to `us`; Europe and Africa to `eu`; Asia and Oceania to `asia`.
"""

from encore.countries import COUNTRIES

REGIONS = ("us", "eu", "asia")
DEFAULT_REGION = "us"

_CONTINENTS = {
    "AF": """AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY
        MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM
        ZW""",
    "AN": "AQ BV GS HM TF",
    "AS": """AE AF AM AZ BD BH BN BT CC CN CX CY GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ
        LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE""",
    "EU": """AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE
        LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK""",
    "NA": """AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS
        MX NI PA PM PR SV SX TC TT US VC VG VI""",
    "OC": """AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS""",
    "SA": "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
}
_REGION_OF_CONTINENT = {
    "NA": "us",
    "SA": "us",
    "AN": "us",
    "EU": "eu",
    "AF": "eu",
    "AS": "asia",
    "OC": "asia",
}
CONTINENT_OF = {
    country: continent for continent, codes in _CONTINENTS.items() for country in codes.split()
}


def region_of(country: str) -> str:
    continent = CONTINENT_OF.get(country.upper())
    return _REGION_OF_CONTINENT[continent] if continent else DEFAULT_REGION


def countries_in(region: str) -> frozenset[str]:
    return frozenset(c for c in COUNTRIES if region_of(c) == region)
