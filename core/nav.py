"""Entries of the navigation bar. Each blueprint lists its own (`NAV`); the factory collects
them and `home.nav.visible_items` shows a person those their roles open."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    section: str = "main"
