"""Compose numpydoc parameter and attribute sections from shared entries.

Estimators that share a parameter share its documentation: each docs module holds
only the entries it words differently, and :func:`compose` assembles a section in
signature order, later sources overriding earlier ones.
"""


def entries(section: str) -> dict:
    """Split a numpydoc section (entries separated by blank lines) by name."""
    parsed = {}
    for entry in section.strip("\n").split("\n\n"):
        parsed[entry.split(" :", 1)[0].strip()] = entry.strip("\n")
    return parsed


def compose(names, *sections: str) -> str:
    """The entries ``names``, in that order, taken from the last section that
    documents each."""
    merged: dict = {}
    for section in sections:
        merged.update(entries(section))
    missing = [name for name in names if name not in merged]
    if missing:
        raise KeyError(f"undocumented: {missing}")
    return "\n\n".join(merged[name] for name in names) + "\n"
