"""retention policy|due|extend|hold|release|destroy|compact: reviewing children's files at the
end of their retention period (docs/retention.md). The admin sets the policy's periods; the
DSL reviews each file due and destroys, extends (to a date, with a reason) or holds it."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from app.cli.common import add_data, add_json, add_user, emit, open_as_user
from app.cli.text_input import add_text_option, text_from
from app.domain import retention
from app.domain.destruction import compact_store, destroy
from app.domain.pupils import child_by_upn
from app.errors import InputError
from app.store import settings
from app.wording import date_text, ordinal, plural

_POLICY = (("years", settings.RETENTION_YEARS), ("sen_years", settings.RETENTION_SEN_YEARS),
           ("looked_after_years", settings.RETENTION_LOOKED_AFTER_YEARS))


def register(sub: argparse._SubParsersAction) -> None:
    commands = sub.add_parser("retention", help="review children's files at the end of their "
                              "retention period (DSL; the admin sets the periods)"
                              ).add_subparsers(dest="action", required=True)

    def command(name: str, text: str, *, child: bool = True) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=text)
        add_data(p)
        add_user(p)
        if child:
            p.add_argument("--child", required=True, metavar="UPN")
        return p

    p = command("policy", "show the policy's periods, or (admin) change them", child=False)
    p.add_argument("--years", metavar="N", help="review a child's file at this birthday "
                   "(default 25, the IRMS toolkit's)")
    p.add_argument("--sen-years", metavar="N", help="for a child with SEN (default 31)")
    p.add_argument("--looked-after-years", metavar="N",
                   help="for a child who is or was looked after (default 25)")
    add_json(p)
    p.set_defaults(handler=cmd_policy)

    p = command("due", "the files due for review (the list is audited)", child=False)
    p.add_argument("--all", action="store_true", help="every file, with its review date")
    add_json(p)
    p.set_defaults(handler=cmd_due)

    p = command("extend", "keep a file past its review date, to a later date")
    p.add_argument("--until", required=True, metavar="YYYY-MM-DD")
    add_text_option(p, "reason", "why it is kept (kept with the decision)", required=True)
    p.set_defaults(handler=cmd_extend)

    p = command("hold", "put a hold on a file: it is never destroyed while held")
    add_text_option(p, "reason", "why it is held (kept with the decision)", required=True)
    p.set_defaults(handler=cmd_hold)

    p = command("release", "release a hold: the file is reviewed under the policy again")
    add_text_option(p, "reason", "why the hold ends (kept with the decision)", required=True)
    p.set_defaults(handler=cmd_release)

    p = command("destroy", "destroy a file due for review, on every DSL PC: it cannot be "
                "undone")
    p.add_argument("--confirm", required=True, metavar="UPN",
                   help="the child's UPN again, to say yes")
    p.set_defaults(handler=cmd_destroy)

    p = command("compact", "reclaim the space of destroyed files and empty the write-ahead "
                "log (when a destruction could not, because another window was open)",
                child=False)
    p.set_defaults(handler=cmd_compact)


def _review_json(r: retention.FileReview) -> dict[str, Any]:
    return {"upn": r.child.upn, "name": r.child.legal_name,
            "date_of_birth": r.child.date_of_birth.isoformat(), "basis": r.basis,
            "years": r.years, "review_on": r.review_on.isoformat(), "state": r.state,
            "reason": r.reason}


def _review_line(r: retention.FileReview) -> str:
    why = f" ({r.reason})" if r.reason and (r.held or r.extended) else ""
    return (f"{r.child.upn}  {r.child.legal_name}, born {date_text(r.child.date_of_birth)}: "
            f"{r.state}, review {date_text(r.review_on)} ({r.basis}, {r.years} years){why}")


def cmd_policy(args: argparse.Namespace) -> int:
    changes = [(s, getattr(args, name)) for name, s in _POLICY
               if getattr(args, name) is not None]
    with open_as_user(args) as session:
        if changes:
            settings.set_retention(session, dict(changes))
        pol = retention.policy(session)
    data = {"years": pol.years, "sen_years": pol.sen_years,
            "looked_after_years": pol.looked_after_years}
    emit(args, data, ("Saved. " if changes else "") +
         f"Files are reviewed at the child's {ordinal(pol.years)} birthday; with SEN, the "
         f"{ordinal(pol.sen_years)}; looked after, the {ordinal(pol.looked_after_years)}.")
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        reviews = retention.files(session, due_only=not args.all)
    what = "file" if args.all else "file due for review"
    text = "\n".join([_review_line(r) for r in reviews] +
                     [plural(len(reviews), what, what.replace("file", "files", 1)) + "."])
    emit(args, [_review_json(r) for r in reviews], text)
    return 0


def _reason(args: argparse.Namespace) -> str:
    return text_from(args, "reason") or ""


def cmd_extend(args: argparse.Namespace) -> int:
    try:
        until = date.fromisoformat(args.until.strip())
    except ValueError:
        raise InputError("until", "give a date as YYYY-MM-DD") from None
    reason = _reason(args)
    with open_as_user(args) as session:
        r = retention.extend(session, child_by_upn(session, args.child).id, until, reason)
    print(f"Kept until {date_text(r.review_on)}; it comes back for review then.")
    return 0


def cmd_hold(args: argparse.Namespace) -> int:
    reason = _reason(args)
    with open_as_user(args) as session:
        retention.hold(session, child_by_upn(session, args.child).id, reason)
    print("On hold: the file will not be destroyed until the hold is released.")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    reason = _reason(args)
    with open_as_user(args) as session:
        r = retention.release(session, child_by_upn(session, args.child).id, reason)
    print(f"Hold released: {r.state}, review {date_text(r.review_on)}.")
    return 0


def cmd_destroy(args: argparse.Namespace) -> int:
    if args.confirm.strip().upper() != args.child.strip().upper():
        raise InputError("confirm", "give the child's UPN again with --confirm to say yes")
    with open_as_user(args) as session:
        done = destroy(session, child_by_upn(session, args.child).id, confirm=True)
    counts = ", ".join(plural(n, kind, "entries" if kind == "entry" else None)
                       for kind, n in sorted(done.counts.items()))
    print(f"Destroyed: {counts or 'nothing was left to delete'}. The audit trail keeps a "
          "tombstone (who, when, which policy, how many), no content.")
    for problem in done.problems:
        print(f"Not yet: {problem}")
    return 1 if done.problems else 0


def cmd_compact(args: argparse.Namespace) -> int:
    with open_as_user(args) as session:
        problems = compact_store(session)
    for problem in problems:
        print(f"Not yet: {problem}")
    if not problems:
        print("Compacted: no space of a destroyed file is left, and the logs are empty.")
    return 1 if problems else 0
