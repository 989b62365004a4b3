"""la list/show/choose/add (the school's LA and its referral form), and the routes to an LA
that does not run our front door: referral route portal|email|phone|status, referral reference,
referral outcome (app/delivery/la_routes.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import add_data, add_json, add_user, emit, open_as_user, read_file, subcommands
from app.cli.text_input import add_text_option, text_from
from app.delivery import la_routes
from app.domain.la_profiles import (
    LaProfile,
    add_profile,
    all_profiles,
    choose_profile,
    chosen_profile,
    get_profile,
)
from app.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    la = sub.add_parser("la", help="the school's local authority: its phones, how it takes "
                        "referrals and its referral form").add_subparsers(dest="action",
                                                                          required=True)
    p = la.add_parser("list", help="the LA profiles this program knows; * marks the school's")
    _common(p)
    p.set_defaults(handler=cmd_list)
    p = la.add_parser("show", help="one LA profile: phones, route, the form's sections and "
                      "questions with the fields they map to (default: the school's LA)")
    _common(p)
    p.add_argument("--id", help="the profile's id (la list shows them)")
    p.set_defaults(handler=cmd_show)
    p = la.add_parser("choose", help="choose the school's LA (admin)")
    _common(p)
    p.add_argument("--id", required=True)
    p.set_defaults(handler=cmd_choose)
    p = la.add_parser("add", help="add or replace the school's own LA profile from a JSON "
                      "file (admin; docs/la-profiles.md)")
    _common(p)
    p.add_argument("--file", required=True, metavar="PROFILE.json")
    p.set_defaults(handler=cmd_add)

    referral = subcommands(sub, "referral")
    route = referral.add_parser("route", help="send a referral by the LA's portal, secure "
                                "email or phone, and see how it was sent").add_subparsers(
        dest="route", required=True)
    p = route.add_parser("portal", help="portal assist: print each section and answer in the "
                         "portal's order; --done ticks a section, --sent confirms it was sent")
    _route_common(p)
    p.add_argument("--done", action="append", default=[], metavar="SECTION",
                   help="a section you have filled in on the portal (repeatable)")
    p.set_defaults(handler=cmd_portal)
    p = route.add_parser("email", help="--out saves the pack AES-256 encrypted for the school's "
                         "secure email and prints a one-time password to give the LA BY PHONE; "
                         "--sent confirms you sent it")
    _route_common(p)
    p.add_argument("--out", metavar="FILE.pdf")
    p.set_defaults(handler=cmd_email)
    p = route.add_parser("phone", help="confirm the referral was made by phone")
    _common(p)
    p.add_argument("--id", required=True)
    p.add_argument("--to", metavar="WHOM", help="the number or person (default: the LA's "
                   "in-hours number)")
    p.set_defaults(handler=cmd_phone)
    p = route.add_parser("status", help="how the referral was sent, when, the LA's reference "
                         "and the outcome")
    _common(p)
    p.add_argument("--id", required=True)
    p.set_defaults(handler=cmd_status)

    p = referral.add_parser("reference", help="record the LA's reference for a sent referral")
    _common(p)
    p.add_argument("--id", required=True)
    p.add_argument("--ref", required=True, metavar="REFERENCE")
    p.set_defaults(handler=cmd_reference)
    p = referral.add_parser("outcome", help="record what the LA decided ('no further action', "
                            "'early help', 'section 17 assessment', 'section 47 enquiry' …)")
    _common(p)
    p.add_argument("--id", required=True)
    p.add_argument("--outcome", required=True)
    add_text_option(p, "note", "what the LA said with it")
    p.set_defaults(handler=cmd_outcome)


def _common(p: argparse.ArgumentParser) -> None:
    add_data(p)
    add_user(p)
    add_json(p)


def _route_common(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--id", required=True)
    p.add_argument("--sent", action="store_true", help="confirm the referral was sent this way")


def _profile_json(profile: LaProfile, chosen: bool) -> dict[str, object]:
    return {"id": profile.id, "version": profile.version, "name": profile.name,
            "service": profile.service, "chosen": chosen, "route": profile.route,
            "portal_url": profile.portal_url, "secure_email": profile.secure_email,
            "phones": {"in_hours": profile.phone_in_hours,
                       "out_of_hours": profile.phone_out_of_hours},
            "fictional": profile.fictional, "builtin": profile.builtin,
            "form": {"title": profile.form_title, "sections": [
                {"title": s.title, "questions": [
                    {"asks": q.asks, "fields": list(q.fields), "confirmed": q.confirmed,
                     "note": q.note} for q in s.questions]} for s in profile.sections]}}


def cmd_list(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        profiles, chosen = all_profiles(session), chosen_profile(session).id
    emit(args, [_profile_json(p, p.id == chosen) for p in profiles], "\n".join(
        f"{'*' if p.id == chosen else ' '} {p.id:<14} v{p.version}  {p.name} — "
        f"{p.route_words}" for p in profiles))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        chosen = chosen_profile(session)
        profile = get_profile(session, args.id) if args.id else chosen
    lines = [f"{profile.name} (profile {profile.id}, version {profile.version})",
             f"{profile.service}: {profile.phone_in_hours}; out of hours "
             f"{profile.phone_out_of_hours}", f"Takes referrals by {profile.route_words}",
             f"Form: {profile.form_title}"]
    for section in profile.sections:
        lines.append(f"  {section.title}")
        lines += [f"    {q.asks}  ← {', '.join(q.fields)}"
                  + ("" if q.confirmed else "  [unconfirmed]") for q in section.questions]
    emit(args, _profile_json(profile, profile.id == chosen.id), "\n".join(lines))
    return 0


def cmd_choose(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        profile = choose_profile(session, args.id)
    print(f"The school's LA is now {profile.name}: referrals follow its form "
          f"({profile.form_title}) and go by {profile.route_words}.")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    text = read_file(Path(args.file), "file", 1_000_000).decode("utf-8", errors="replace")
    with open_as_user(args) as session:
        profile = add_profile(session, text)
    print(f"Added LA profile {profile.id} (version {profile.version}); 'la choose --id "
          f"{profile.id}' makes it the school's.")
    return 0


def _state(args: argparse.Namespace, state: la_routes.RouteState, headline: str) -> None:
    emit(args, {"route": state.route, "to": state.to, "sent_at": state.sent_at,
                "sent_by": state.sent_by, "reference": state.reference,
                "outcome": state.outcome, "outcome_note": state.outcome_note,
                "sections_done": state.sections_done}, f"{headline}\n{state.summary}")


def cmd_portal(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        if not args.done and not args.sent:
            profile, sections = la_routes.portal_form(session, args.id)
            done = la_routes.route_state(session, args.id).sections_done
            emit(args, {"portal_url": profile.portal_url, "sections": [
                {"title": s.title, "done": s.title in done, "answers": [
                    {"asks": a.asks, "answer": a.answer, "confirmed": a.confirmed}
                    for a in s.answers]} for s in sections]},
                "\n".join([f"Portal: {profile.portal_url}"] + [
                    f"\n[{'x' if s.title in done else ' '}] {s.title}\n" + "\n".join(
                        f"  {a.asks}{'' if a.confirmed else ' (mapping unconfirmed)'}:\n"
                        f"    {(a.answer or '—').replace(chr(10), chr(10) + '    ')}"
                        for a in s.answers) for s in sections]))
            return 0
        state = la_routes.route_state(session, args.id)
        for section in args.done:
            state = la_routes.tick_section(session, args.id, section)
        if args.sent:
            state = la_routes.confirm_sent(session, args.id, "portal")
    _state(args, state, "Recorded.")
    return 0


def cmd_email(args: argparse.Namespace) -> int:
    if not args.out and not args.sent:
        raise InputError("email", "give --out FILE.pdf to save the encrypted pack, or --sent "
                         "once you have sent it")
    with open_as_user(args) as session:
        if args.out:
            profile = chosen_profile(session)
            password = la_routes.save_email_pack(session, args.id, Path(args.out).expanduser())
            print(f"Encrypted pack saved to {args.out}. Attach it to a secure email to "
                  f"{profile.secure_email}.\nOne-time password (give it to the LA BY PHONE on "
                  f"{profile.phone_in_hours}; never email it):\n{password}")
        state = la_routes.route_state(session, args.id)
        if args.sent:
            state = la_routes.confirm_sent(session, args.id, "email")
            _state(args, state, "Recorded.")
    return 0


def cmd_phone(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        state = la_routes.confirm_sent(session, args.id, "phone", args.to)
    _state(args, state, "Recorded.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        state = la_routes.route_state(session, args.id)
        session.audited("view", "referral", args.id, route=True)
    _state(args, state, "Referral")
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        state = la_routes.record_reference(session, args.id, args.ref)
    _state(args, state, "Recorded.")
    return 0


def cmd_outcome(args: argparse.Namespace) -> int:
    note = text_from(args, "note")
    with open_as_user(args) as session:
        state = la_routes.record_outcome(session, args.id, args.outcome, note)
    _state(args, state, "Recorded.")
    return 0
