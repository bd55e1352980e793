"""The 14 CRediT contributor roles (ANSI/NISO Z39.104-2022), as kinds of contribution.

A pool's kinds are plain strings; these are the CRediT roles under names that also work
as fediverse hashtags (``#data_curation``: a hashtag cannot hold a hyphen), each tied to
its term URI, so a contribution of kind ``formal_analysis`` says exactly what CRediT
means by "Formal analysis". Pure data and lookups.
"""

import re
import unicodedata
from dataclasses import dataclass

TERMS = "https://credit.niso.org/contributor-roles/"


@dataclass(frozen=True)
class Role:
    """One CRediT role: its kind (our name for it), its label and its term URI."""

    kind: str
    label: str

    @property
    def slug(self) -> str:
        """The last segment of the term URI (``data-curation``)."""
        return self.kind.replace("_", "-")

    @property
    def uri(self) -> str:
        """The role's term URI at NISO."""
        return f"{TERMS}{self.slug}/"


ROLES = (
    Role("conceptualization", "Conceptualization"),
    Role("data_curation", "Data curation"),
    Role("formal_analysis", "Formal analysis"),
    Role("funding_acquisition", "Funding acquisition"),
    Role("investigation", "Investigation"),
    Role("methodology", "Methodology"),
    Role("project_administration", "Project administration"),
    Role("resources", "Resources"),
    Role("software", "Software"),
    Role("supervision", "Supervision"),
    Role("validation", "Validation"),
    Role("visualization", "Visualization"),
    Role("writing_original_draft", "Writing – original draft"),
    Role("writing_review_editing", "Writing – review & editing"),
)
KINDS = tuple(role.kind for role in ROLES)

def _folded(text: str) -> str:
    """Letters only, lower case, -ise as -ize: every way the roles are written matches."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\band\b", "", text)  # "review and editing" as "review & editing"
    return re.sub(r"[^a-z]", "", text).replace("isation", "ization")


_BY_FOLDED = {_folded(role.label): role for role in ROLES}
_BY_URI = {role.uri.rstrip("/"): role for role in ROLES}


def role_for(text: str) -> Role | None:
    """The CRediT role a string names: its term URI, its label (any case and punctuation,
    British or American spelling), its URI slug or its kind; None for anything else."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return _BY_URI.get("https://" + text.split("://", 1)[1].rstrip("/"))
    return _BY_FOLDED.get(_folded(text))
