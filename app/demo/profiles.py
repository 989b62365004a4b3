"""The demo school's profiles: what its MIS would export about each pupil's family.

Siblings share their contacts and home, as the MIS has them; names come from the family's
own name group, phones from Ofcom's drama ranges, emails from example.org, GPs from invented
practices. A few families carry what a DSL must see at once: a parent the school must not
contact, a child in foster care, a social worker.
"""

from __future__ import annotations

import random
import re

from app.demo import roll
from app.demo.synthetic import SyntheticSchool
from app.domain.roster_csv import RosterRow
from app.profile.codes import ETHNICITY, LANGUAGE
from app.profile.model import (
    Address,
    Contact,
    Facts,
    Phone,
    Professional,
    ProfileUpdate,
    PupilLink,
)

# Name group -> (ethnicity codes, first language code, religions), most likely first.
_HERITAGE: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "english": (("WBRI", "WBRI", "WBRI", "MWBC", "WIRI"), "ENG",
                ("No religion", "Christian", "No religion")),
    "polish": (("WOTH",), "POL", ("Christian (Roman Catholic)",)),
    "romanian": (("WOTH", "WROM"), "RMN", ("Christian (Orthodox)",)),
    "pakistani": (("APKN",), "URD", ("Muslim",)),
    "bangladeshi": (("ABAN",), "BNGA", ("Muslim",)),
    "somali": (("BAFR",), "SOM", ("Muslim",)),
    "nigerian": (("BAFR",), "YOR", ("Christian", "Muslim")),
    "turkish": (("WOTH",), "TUR", ("Muslim", "No religion")),
    "vietnamese": (("AOTH",), "VIE", ("Buddhist", "No religion")),
    "greek": (("WOTH",), "GRE", ("Christian (Orthodox)",)),
    "ukrainian_russian": (("WOTH",), "UKR", ("Christian (Orthodox)", "No religion")),
}
_PRACTICES = ("Larkspur Surgery", "Mill Lane Medical Practice", "Riverside Health Centre",
              "The Old Forge Surgery", "Castle View Medical Group")
_SEN = (("N", ()), ) * 14 + (("K", ("SLCN",)), ("K", ("SEMH",)), ("K", ("SPLD",)),
                             ("E", ("ASD", "SLCN")))


def demo_profile_updates(synth: SyntheticSchool, pupils: list[RosterRow]
                         ) -> list[ProfileUpdate]:
    """One update per pupil, as an MIS export and the pupils' CTFs would give them."""
    updates = []
    households: dict[int, tuple[Address, tuple[Contact, ...], tuple[Professional, ...]]] = {}
    for row in pupils:
        family = synth.family_of(row.upn)
        number, group, surname = family if family else (-1, "english", row.legal_surname)
        rng = random.Random(f"concerndesk-demo-profile:{synth.seed}:{number}:{row.upn}")
        if number not in households:
            households[number] = _household(synth, random.Random(
                f"concerndesk-demo-family:{synth.seed}:{number}"), group, surname, row)
        home, contacts, professionals = households[number]
        codes, language, religions = _HERITAGE.get(group, _HERITAGE["english"])
        ethnicity = rng.choice(codes)
        if group != "english" and rng.random() < 0.3:
            language = "ENB"  # born here, English at home
        sen_status, needs = rng.choice(_SEN)
        updates.append(ProfileUpdate(
            link=PupilLink(upn=row.upn),
            facts=Facts(
                ethnicity_code=ethnicity, ethnicity=ETHNICITY[ethnicity],
                religion=rng.choice(religions), first_language_code=language,
                first_language=LANGUAGE[language],
                interpreter_needed=language not in {"ENG", "ENB"} and rng.random() < 0.4,
                sen_status=sen_status, sen_needs=needs,
                disability="None known" if sen_status != "E" else "Autism (diagnosed)",
                gp=f"Dr {rng.choice('ABCDEFGHJKLMNPRSTW')} {_doctor(rng)}, "
                   f"{rng.choice(_PRACTICES)}, {roll.drama_phone(rng, mobile=False)}",
                looked_after=any(c.relationship == "Foster carer" for c in contacts)),
            addresses=(home,), contacts=contacts, professionals=professionals))
    return updates


def _doctor(rng: random.Random) -> str:
    group = roll.pick_group(rng)[1]
    return roll.surname_form(rng.choice(group["surnames"]), False)


def _household(synth: SyntheticSchool, rng: random.Random, group_name: str, surname: str,
               row: RosterRow) -> tuple[Address, tuple[Contact, ...], tuple[Professional, ...]]:
    group = roll.demo_resource("names.json")["groups"].get(group_name) or \
        roll.pick_group(rng)[1]
    home = _address(synth.home_address(row.upn))
    mother = Contact(
        f"{rng.choice(group['female'])} {roll.surname_form(surname, True)}", "Mother", True,
        True, (Phone(roll.drama_phone(rng, mobile=True), "mobile"),
               Phone(roll.drama_phone(rng, mobile=False), "home")),
        f"{_mail(rng)}@example.org", home, 1)
    father_name = f"{rng.choice(group['male'])} {roll.surname_form(surname, False)}"
    chance = rng.random()
    professionals: tuple[Professional, ...] = ()
    if chance < 0.03:  # in foster care: the carers first, the parents' contact restricted
        carer = Contact(f"{rng.choice(group['female'])} Fosterby", "Foster carer", False, True,
                        (Phone(roll.drama_phone(rng, mobile=True), "mobile"),),
                        f"{_mail(rng)}@example.org", home, 1)
        mother = Contact(mother.name, "Mother", True, False, mother.phones[:1], None,
                         _address(synth.home_address(f"elsewhere-{row.upn}")), 2)
        professionals = (Professional(f"{rng.choice(group['female'])} Caseworth",
                                      "Social worker", "Exampleshire Children's Services",
                                      roll.drama_phone(rng, mobile=False),
                                      "duty.team@example.org"),)
        return home, (carer, mother), professionals
    if chance < 0.08:  # a father the school must not contact
        father = Contact(father_name, "Father", True, False,
                         (Phone(roll.drama_phone(rng, mobile=True), "mobile"),), None,
                         _address(synth.home_address(f"father-{row.upn}")), 3, True,
                         "Non-molestation order: do not share information or release "
                         "the child to him")
    elif chance < 0.35:  # parents apart: father elsewhere, still with parental responsibility
        father = Contact(father_name, "Father", True, False,
                         (Phone(roll.drama_phone(rng, mobile=True), "mobile"),),
                         f"{_mail(rng)}@example.org",
                         _address(synth.home_address(f"father-{row.upn}")), 2)
    else:
        father = Contact(father_name, "Father", True, True,
                         (Phone(roll.drama_phone(rng, mobile=True), "mobile"),),
                         f"{_mail(rng)}@example.org", home, 2)
    contacts = [mother, father]
    if rng.random() < 0.25:
        contacts.append(Contact(f"{rng.choice(group['female'])} "
                                f"{roll.surname_form(surname, True)}", "Grandmother", False,
                                False, (Phone(roll.drama_phone(rng, mobile=False), "home"),),
                                None, None, 4))
    if chance < 0.12:
        professionals = (Professional(f"{rng.choice(group['male'])} Helpwell",
                                      "Early help lead", "Exampleshire Family Hub",
                                      roll.drama_phone(rng, mobile=False)),)
    return home, tuple(contacts), professionals


def _mail(rng: random.Random) -> str:
    return f"family{rng.randrange(10_000, 99_999)}"


def _address(text: str) -> Address:
    """"12 Mill Lane, Exampleton ZZ99 9AB" as lines and a postcode."""
    match = re.match(r"^(.*) (ZZ99 \w{3})$", text)
    body, postcode = (match.group(1), match.group(2)) if match else (text, None)
    return Address(tuple(p.strip() for p in body.split(",")), postcode)
