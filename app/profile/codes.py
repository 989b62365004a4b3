"""DfE code sets a Common Transfer File uses, code -> the words a person reads.

They follow the DfE Common Basic Data Set (CBDS) code lists that the school census and the CTF
share: ethnicity (the main codes and the extended codes schools may use instead), first
language, SEN provision and SEN type of need, and the CTF's contact relationship and telephone
type codes. Transcribed from the published lists, not generated: the language table holds the
common codes only. A code missing from a table is shown as the code itself (``words`` never
fails): a school's MIS may use a newer code, and refusing a whole transfer for it would lose
far more than it protects.
"""

from __future__ import annotations

from app.profile.model import SEN_STATUS

# Ethnicity: the 20 main codes, then the extended codes (each rolls up to a main one).
ETHNICITY: dict[str, str] = {
    "WBRI": "White - British", "WIRI": "White - Irish", "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background", "WROM": "Gypsy / Roma",
    "MWBC": "White and Black Caribbean", "MWBA": "White and Black African",
    "MWAS": "White and Asian", "MOTH": "Any other mixed background",
    "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean", "BAFR": "Black - African", "BOTH": "Any other Black background",
    "CHNE": "Chinese", "OOTH": "Any other ethnic group",
    "REFU": "Refused", "NOBT": "Information not yet obtained",
    # extended codes
    "WENG": "White - English", "WSCO": "White - Scottish", "WWEL": "White - Welsh",
    "WCOR": "White - Cornish", "WOWB": "Other White British",
    "WALB": "Albanian", "WBOS": "Bosnian-Herzegovinian", "WCRO": "Croatian",
    "WGRE": "Greek / Greek Cypriot", "WGRK": "Greek", "WGRC": "Greek Cypriot",
    "WITA": "Italian", "WKOS": "Kosovan", "WPOR": "Portuguese", "WSER": "Serbian",
    "WTUR": "Turkish / Turkish Cypriot", "WTUK": "Turkish", "WTUC": "Turkish Cypriot",
    "WEUR": "White European", "WEEU": "White Eastern European",
    "WWEU": "White Western European", "WOTW": "White other",
    "WROG": "Gypsy", "WROR": "Roma", "WROO": "Other Gypsy / Roma",
    "MWAP": "White and Pakistani", "MWAI": "White and Indian",
    "MWAO": "White and any other Asian background",
    "MABL": "Asian and Black", "MACH": "Asian and Chinese",
    "MAOE": "Asian and any other ethnic group", "MBOE": "Black and any other ethnic group",
    "MBCH": "Black and Chinese", "MCOE": "Chinese and any other ethnic group",
    "MWOE": "White and any other ethnic group", "MOTM": "Other mixed background",
    "AMPK": "Mirpuri Pakistani", "AKPA": "Kashmiri Pakistani", "AOPK": "Other Pakistani",
    "AKAO": "Kashmiri other", "ANEP": "Nepali", "ASNL": "Sri Lankan Sinhalese",
    "ASLT": "Sri Lankan Tamil", "ASRO": "Sri Lankan other", "AOTA": "Other Asian",
    "BANN": "Black - Angolan", "BCON": "Black - Congolese", "BGHA": "Black - Ghanaian",
    "BNGN": "Black - Nigerian", "BSLN": "Black - Sierra Leonean", "BSOM": "Black - Somali",
    "BSUD": "Black - Sudanese", "BAOF": "Other Black African", "BEUR": "Black European",
    "BNAM": "Black North American", "BOTB": "Other Black",
    "CHKC": "Hong Kong Chinese", "CMAL": "Malaysian Chinese", "CSNG": "Singaporean Chinese",
    "CTWN": "Taiwanese", "COCH": "Other Chinese",
    "OAFG": "Afghan", "OARA": "Arab other", "OEGY": "Egyptian", "OFIL": "Filipino",
    "OIRN": "Iranian", "OIRQ": "Iraqi", "OJPN": "Japanese", "OKOR": "Korean",
    "OKRD": "Kurdish", "OLAM": "Latin / South / Central American", "OLEB": "Lebanese",
    "OLIB": "Libyan", "OMAL": "Malay", "OMRC": "Moroccan", "OPOL": "Polynesian",
    "OTHA": "Thai", "OVIE": "Vietnamese", "OYEM": "Yemeni", "OOEG": "Other ethnic group",
}  # fmt: skip

# First language: the codes for "English / not English" and the languages most often
# recorded in English schools (CBDS has several hundred; the rest show as their code).
LANGUAGE: dict[str, str] = {
    "ENG": "English", "ENB": "Believed to be English",
    "OTH": "Other than English", "OTB": "Believed to be other than English",
    "NOT": "Information not obtained", "REF": "Refused",
    "AKA": "Akan / Twi-Fante", "AKAT": "Akan (Twi / Asante)", "ALB": "Albanian / Shqip",
    "AMR": "Amharic", "ARA": "Arabic", "BEN": "Bengali", "BNG": "Bengali",
    "BNGA": "Bengali (Sylheti)", "BNGC": "Bengali (Chittagong / Noakhali)",
    "BSL": "British Sign Language", "BUL": "Bulgarian", "CHI": "Chinese",
    "CHIC": "Chinese (Cantonese)", "CHIM": "Chinese (Mandarin / Putonghua)",
    "CHIH": "Chinese (Hokkien / Fujianese)", "CZE": "Czech", "DUT": "Dutch / Flemish",
    "EDO": "Edo / Bini", "FRN": "French", "GER": "German", "GRE": "Greek",
    "GUJ": "Gujarati", "HAU": "Hausa", "HEB": "Hebrew", "HIN": "Hindi", "HNG": "Hungarian",
    "IGB": "Igbo", "ITA": "Italian", "JPN": "Japanese", "KOR": "Korean", "KRD": "Kurdish",
    "KRDS": "Kurdish (Sorani)", "KRDK": "Kurdish (Kurmanji)", "LIN": "Lingala",
    "LIT": "Lithuanian", "LTV": "Latvian", "MAL": "Malayalam", "MLT": "Maltese",
    "MLY": "Malay / Indonesian", "NEP": "Nepali", "PAT": "Pashto / Pakhto",
    "PNJ": "Panjabi", "PNJG": "Panjabi (Gurmukhi)", "PNJM": "Panjabi (Mirpuri)",
    "PNJP": "Panjabi (Pothwari)", "PHR": "Pahari / Himachali (India)",
    "PRS": "Persian / Farsi", "POL": "Polish", "POR": "Portuguese", "RMN": "Romanian",
    "ROM": "Romany / English Romanes", "RUS": "Russian", "SCB": "Serbian / Croatian / Bosnian",
    "SHO": "Shona", "SIN": "Sinhala", "SLO": "Slovak", "SLV": "Slovenian", "SOM": "Somali",
    "SPA": "Spanish", "SWA": "Swahili / Kiswahili", "TAM": "Tamil", "TEL": "Telugu",
    "TGL": "Tagalog / Filipino", "THA": "Thai", "TIG": "Tigrinya", "TUR": "Turkish",
    "UKR": "Ukrainian", "URD": "Urdu", "VIE": "Vietnamese", "WEL": "Welsh / Cymraeg",
    "YOR": "Yoruba", "ZUL": "Zulu",
}  # fmt: skip

# SEN type of need (the school census and CTF SENtype).
SEN_TYPE: dict[str, str] = {
    "SPLD": "Specific learning difficulty", "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty", "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs", "HI": "Hearing impairment",
    "VI": "Visual impairment", "MSI": "Multi-sensory impairment", "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder", "OTH": "Other difficulty / disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}  # fmt: skip

# Contact relationship to the pupil (CTF Contact/Relationship).
RELATIONSHIP: dict[str, str] = {
    "PAR": "Parent", "CAR": "Carer", "STP": "Step-parent", "FOS": "Foster parent",
    "REL": "Other relative", "FAM": "Other family member", "CHM": "Childminder",
    "SWR": "Social worker", "DOC": "Doctor", "HTE": "Head teacher", "OTH": "Other contact",
}  # fmt: skip

# Telephone type (CTF Phone/TelephoneType).
PHONE_KIND: dict[str, str] = {"H": "Home", "W": "Work", "M": "Mobile", "F": "Fax"}

SEN_PROVISION = SEN_STATUS  # N, K, E: one table, the model's


def words(table: dict[str, str], code: str) -> str:
    """The words for ``code`` in ``table``, or the code itself when the table lacks it."""
    return table.get(code.strip().upper(), code.strip())
