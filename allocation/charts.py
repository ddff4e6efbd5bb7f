"""The plan page's tier chart: geometry computed here, drawn as inline SVG by the template
(attributes only: the CSP forbids inline scripts and style attributes; no chart library)."""

from dataclasses import dataclass

from recipients.models import TIER_LABELS

WIDTH, BAR_HEIGHT, GAP, LABEL = 640, 26, 18, 150
TIER_COLOURS = {1: "#b3261e", 2: "#1d4f91", 3: "#1e7b3a"}


@dataclass(frozen=True)
class Bar:
    tier: int
    label: str
    y: int
    requested_width: int
    allocated_width: int
    fill_percent: int
    lowest_percent: int
    colour: str
    requested: int
    allocated: int


def tier_chart(tiers: list[dict], english: bool) -> dict:
    """Bars per tier: the requested total as a pale bar, the allocated part filled in."""
    biggest = max((t["requested"] for t in tiers), default=0) or 1
    span = WIDTH - LABEL - 70
    bars = []
    for index, t in enumerate(tiers):
        requested_width = round(span * t["requested"] / biggest)
        allocated_width = round(span * t["allocated"] / biggest)
        fill = t["allocated"] / t["requested"] if t["requested"] else 1.0
        bars.append(
            Bar(
                tier=t["tier"],
                label=str(TIER_LABELS.get(t["tier"], t["tier"])),
                y=10 + index * (BAR_HEIGHT + GAP),
                requested_width=max(requested_width, 1),
                allocated_width=allocated_width,
                fill_percent=int(fill * 100),
                lowest_percent=int(t["lowest_fill"] * 100),
                colour=TIER_COLOURS.get(t["tier"], "#5f6b7a"),
                requested=t["requested"],
                allocated=t["allocated"],
            )
        )
    height = 10 + len(bars) * (BAR_HEIGHT + GAP) + 10
    return {
        "width": WIDTH,
        "height": height,
        "label_width": LABEL,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
    }
