from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to next, or None: never follow a link off the site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
