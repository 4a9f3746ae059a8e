"""Whether two descriptions of a person can be the same person: first names and birth dates.

Pure logic. Identifiers that people share in real life (a family email, a landline, a tablet)
join records only when what the records say about the person does not disagree: the first
names must be compatible and the dates of birth equal, where both sides know them. Unknown
never disagrees. Compatible first names are equal after folding (case, accents, punctuation),
nicknames of one another (Bob and Robert), one a prefix of the other of at least three
letters (Alex, Alexander), or one typo apart (an insertion, deletion, substitution or swap of
neighbours) when both have at least four letters.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.model import fold_name

name_key = fold_name  # the folding both sides of a comparison use

_NICKNAMES: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("bill", "billy", "will", "willie", "liam"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby"),
    "katherine": ("kate", "katie", "kathy", "kat", "kay"),
    "catherine": ("kate", "katie", "cathy", "cat"),
    "michael": ("mike", "mikey", "mick"),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny"),
    "thomas": ("tom", "tommy"),
    "richard": ("rick", "ricky", "dick", "rich"),
    "margaret": ("maggie", "meg", "peggy", "marge"),
    "joseph": ("joe", "joey"),
    "charles": ("charlie", "chuck"),
    "christopher": ("chris", "kit"),
    "daniel": ("dan", "danny"),
    "matthew": ("matt",),
    "anthony": ("tony",),
    "edward": ("ed", "eddie", "ted", "ned"),
    "patricia": ("pat", "patty", "trish"),
    "susan": ("sue", "suzy"),
    "deborah": ("deb", "debbie"),
    "jonathan": ("jon", "jonny"),
    "john": ("jack", "johnny"),
    "alexander": ("alex", "sasha"),
    "alexandra": ("alex", "sasha", "sandra"),
    "benjamin": ("ben", "benny"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"),
    "nicholas": ("nick", "nicky"),
    "steven": ("steve",),
    "stephen": ("steve",),
    "andrew": ("andy", "drew"),
    "timothy": ("tim", "timmy"),
    "rebecca": ("becky", "becca"),
    "victoria": ("vicky", "tori"),
    "abigail": ("abby",),
    "gregory": ("greg",),
    "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"),
    "donald": ("don", "donny"),
    "lawrence": ("larry",),
    "theodore": ("ted", "teddy", "theo"),
}
_GROUPS: dict[str, frozenset[str]] = {}
for _full, _short in _NICKNAMES.items():
    for _name in (_full, *_short):
        _GROUPS[_name] = _GROUPS.get(_name, frozenset()) | {_full, *_short}


def names_agree(a: str, b: str) -> bool:
    """Whether two folded first names (:func:`name_key`) may name the same person."""
    if not a or not b or a == b:
        return True
    if b in _GROUPS.get(a, frozenset()):
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return True
    return len(short) >= 4 and _one_edit_apart(a, b)


def agree(
    names: Iterable[str], other_names: Iterable[str], dobs: Iterable[str], other_dobs: Iterable[str]
) -> bool:
    """Whether two sides (each a set of known first names and birth dates) may be one person.

    Each side may know several values (a customer's records); the sides agree when some pair
    of names agrees and the birth dates overlap. A side that knows nothing agrees with all.
    """
    ours, theirs = set(names), set(other_names)
    if ours and theirs and not any(names_agree(a, b) for a in ours for b in theirs):
        return False
    born, other_born = set(dobs), set(other_dobs)
    return not (born and other_born and born.isdisjoint(other_born))


def _one_edit_apart(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance of exactly one (lengths already differ by at most one)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
