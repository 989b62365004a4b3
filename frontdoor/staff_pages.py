"""The LA staff page's HTML: server-rendered, no script, no external assets (one stylesheet
served by the service itself). Every value is escaped; nothing here reads storage."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from app.protocol.answer import OUTCOMES

STYLE = """
body{font:15px/1.45 system-ui,"DejaVu Sans",sans-serif;margin:0;color:#1b1b1b;background:#f4f5f7}
header{background:#1d3a5f;color:#fff;padding:.6em 1.2em;display:flex;align-items:center;gap:1em}
header h1{font-size:1.1em;margin:0;flex:1}
header form{margin:0}
main{padding:1em 1.2em;max-width:75em}
a{color:#1d4f91}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.45em .6em;border-bottom:1px solid #dde1e6;vertical-align:top}
th{background:#e8ebef;font-weight:600}
.status{font-weight:600}
.new{color:#a4262c}
.ok{color:#2a6a2a}
.panel{background:#fff;border:1px solid #dde1e6;padding:1em;margin:0 0 1em}
.cols{display:flex;gap:1em;align-items:flex-start}
.cols .pdf{flex:3}
.cols .side{flex:2;min-width:18em}
iframe{width:100%;height:46em;border:1px solid #c8cdd3;background:#fff}
label{display:block;font-weight:600;margin:.6em 0 .2em}
select,textarea,input[type=text],input[type=password]{width:100%;box-sizing:border-box;
  font:inherit;padding:.35em}
button{font:inherit;padding:.4em 1em;margin-top:.7em;background:#1d4f91;color:#fff;border:0;
  border-radius:3px;cursor:pointer}
header button{background:#fff;color:#1d3a5f;margin:0}
.error{background:#fde7e9;border:1px solid #a4262c;padding:.6em;margin:0 0 1em}
.notice{background:#e7f3e7;border:1px solid #2a6a2a;padding:.6em;margin:0 0 1em}
.signin{max-width:24em;margin:4em auto}
.muted{color:#5a6270;font-size:.9em}
"""


@dataclass(frozen=True)
class Row:
    id: str
    received: str
    school: str
    child: str
    status: str  # "New", "Acknowledged", "Decided: …", or why it cannot be read
    is_new: bool


@dataclass(frozen=True)
class AnswerLine:
    what: str
    by: str
    at: str


def _page(title: str, body: str, *, staff: str | None = None, csrf: str = "",
          la_name: str = "") -> str:
    signed_in = "" if staff is None else (
        f'<span>{escape(staff)}</span><form method="post" action="/staff/sign-out">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<button type="submit">Sign out</button></form>')
    return ("<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)} — ConcernDesk front door</title>"
            "<link rel=\"stylesheet\" href=\"/staff/style.css\"></head><body>"
            f"<header><h1>ConcernDesk front door — {escape(la_name)}</h1>{signed_in}</header>"
            f"<main>{body}</main></body></html>")


def sign_in_page(la_name: str, csrf: str, error: str | None = None) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (f'<div class="signin panel"><h2>Sign in</h2>{problem}'
            '<form method="post" action="/staff/sign-in">'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
            '<label for="name">Name</label>'
            '<input type="text" id="name" name="name" autocomplete="username" required>'
            '<label for="password">Password</label>'
            '<input type="password" id="password" name="password" '
            'autocomplete="current-password" required>'
            '<button type="submit">Sign in</button></form></div>')
    return _page("Sign in", body, la_name=la_name)


def inbox_page(la_name: str, staff: str, csrf: str, rows: list[Row]) -> str:
    lines = "".join(
        f'<tr><td>{escape(r.received)}</td><td>{escape(r.school)}</td>'
        f'<td><a href="/staff/referrals/{escape(r.id)}">{escape(r.child)}</a></td>'
        f'<td class="status {"new" if r.is_new else "ok"}">{escape(r.status)}</td></tr>'
        for r in rows)
    table = ('<table><thead><tr><th>Received (UTC)</th><th>School</th><th>Child</th>'
             f'<th>Status</th></tr></thead><tbody>{lines}</tbody></table>' if rows
             else '<p class="panel">No referral has arrived yet.</p>')
    body = f"<h2>Referrals received</h2>{table}"
    return _page("Inbox", body, staff=staff, csrf=csrf, la_name=la_name)


def referral_page(la_name: str, staff: str, csrf: str, row: Row, answers: list[AnswerLine],
                  *, notice: str | None = None, error: str | None = None) -> str:
    said = "".join(f"<li><b>{escape(a.what)}</b> — {escape(a.by)}, {escape(a.at)} UTC</li>"
                   for a in answers) or "<li>Nothing sent to the school yet.</li>"
    acknowledged = any(a.what == "Acknowledged" for a in answers)
    decided = any(a.what.startswith("Decided") for a in answers)
    options = "".join(f'<option value="{escape(o)}">{escape(o[0].upper() + o[1:])}</option>'
                      for o in OUTCOMES)
    hidden = f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
    reference = ('<label for="{0}">Our case reference (optional)</label>'
                 '<input type="text" id="{0}" name="reference" maxlength="100">')
    ack = ("" if acknowledged else
           f'<form method="post" action="/staff/referrals/{escape(row.id)}/acknowledge">'
           f'{hidden}{reference.format("ack-reference")}'
           '<button type="submit">Acknowledge receipt to the school</button></form>')
    decide = ("" if decided else
              f'<form method="post" action="/staff/referrals/{escape(row.id)}/decide">{hidden}'
              '<label for="outcome">Outcome</label>'
              f'<select id="outcome" name="outcome" required><option value="">Choose…</option>'
              f'{options}</select>'
              '<label for="note">Note to the school\'s DSL</label>'
              '<textarea id="note" name="note" rows="4" maxlength="4000"></textarea>'
              f'{reference.format("decide-reference")}'
              '<button type="submit">Send the decision</button></form>')
    banner = (f'<p class="notice" role="status">{escape(notice)}</p>' if notice else "") + (
        f'<p class="error" role="alert">{escape(error)}</p>' if error else "")
    body = (f'<p><a href="/staff/inbox">← Inbox</a></p>{banner}'
            f'<h2>{escape(row.child)}</h2>'
            f'<p class="muted">From {escape(row.school)}, received {escape(row.received)} UTC. '
            f'Referral {escape(row.id)}.</p>'
            '<div class="cols"><div class="pdf">'
            f'<iframe src="/staff/referrals/{escape(row.id)}/pdf" title="The referral pack '
            '(PDF)"></iframe>'
            f'<p><a href="/staff/referrals/{escape(row.id)}/pdf">Open the PDF on its own</a></p>'
            '</div><div class="side">'
            f'<div class="panel"><h3>Sent to the school</h3><ul>{said}</ul>{ack}</div>'
            f'<div class="panel"><h3>The LA\'s decision</h3>'
            f'{decide or "<p>The decision has been sent.</p>"}</div>'
            '</div></div>')
    # The title says "Referral", never the child's name: browsers keep titles in their history.
    return _page("Referral", body, staff=staff, csrf=csrf, la_name=la_name)


def message_page(la_name: str, title: str, text: str) -> str:
    return _page(title, f'<div class="panel"><h2>{escape(title)}</h2><p>{escape(text)}</p>'
                 '<p><a href="/staff/inbox">Inbox</a></p></div>', la_name=la_name)
