"""Where a body-map mark is: the named regions of the drawn figure, shared by the desktop's body
map, the CLI's ``--mark SIDE:REGION:NOTE`` and every view that names a mark's place (inbox,
history, chronology, pack), so "Front: left arm" reads the same everywhere."""

from __future__ import annotations

from app.errors import InputError

SIDES = ("front", "back")
# Regions in figure coordinates (0..1 across, 0..1 down). On the front view the child's right
# is on the viewer's left.
REGIONS: dict[str, dict[str, tuple[float, float]]] = {
    "front": {"Head": (0.5, 0.07), "Face": (0.5, 0.09), "Neck": (0.5, 0.16),
              "Chest": (0.5, 0.26), "Stomach": (0.5, 0.38), "Right arm": (0.2, 0.3),
              "Left arm": (0.8, 0.3), "Right hand": (0.12, 0.5), "Left hand": (0.88, 0.5),
              "Groin": (0.5, 0.5), "Right leg": (0.4, 0.7), "Left leg": (0.6, 0.7),
              "Right foot": (0.4, 0.95), "Left foot": (0.6, 0.95)},
    "back": {"Back of head": (0.5, 0.07), "Back of neck": (0.5, 0.16),
             "Upper back": (0.5, 0.27), "Lower back": (0.5, 0.4), "Left arm": (0.2, 0.3),
             "Right arm": (0.8, 0.3), "Left hand": (0.12, 0.5), "Right hand": (0.88, 0.5),
             "Buttocks": (0.5, 0.5), "Back of left leg": (0.4, 0.7),
             "Back of right leg": (0.6, 0.7), "Left heel": (0.4, 0.95),
             "Right heel": (0.6, 0.95)},
}


def nearest_region(side: str, x: float, y: float) -> str:
    """The named region closest to a point a person clicked."""
    regions = REGIONS[side]
    return min(regions, key=lambda name: (regions[name][0] - x) ** 2 +
               (regions[name][1] - y) ** 2)


def place(side: str, region: str) -> str:
    """How a mark's place is written for people: "Front: Left arm"."""
    return f"{side.title()}: {region}"


def side_of(text: str) -> str:
    side = text.strip().lower()
    if side not in SIDES:
        raise InputError("mark", f"side must be front or back, not {text.strip()!r}")
    return side


def region_point(side: str, text: str) -> tuple[str, float, float]:
    """A region a person named (any case; "left upper arm" finds "Left arm" when the words
    of one region are all in it) → its canonical name and the point to draw the mark at."""
    wanted = " ".join(text.lower().split())
    regions = REGIONS[side]
    for name, (x, y) in regions.items():
        if name.lower() == wanted:
            return name, x, y
    words = set(wanted.split())
    fits = [name for name in regions if set(name.lower().split()) <= words]
    if fits:
        best = max(fits, key=lambda name: len(name.split()))
        return (best, *regions[best])
    raise InputError("mark", f"{text.strip()!r} is not a region of the {side} view; use one "
                     "of: " + ", ".join(regions))
