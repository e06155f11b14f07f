"""Names as a call handler hears them: tokens, a phonetic key, typos and nicknames.

The phonetic key is a consonant skeleton in the spirit of Soundex and Metaphone, tuned for
names heard over a phone line in Britain: ``Smith`` and ``Smyth``, ``Jon`` and ``John``,
``Stephen`` and ``Steven``, ``Catherine`` and ``Kathryn``, ``Geoffrey`` and ``Jeffrey``,
``MacDonald`` and ``McDonald`` share a key. It keeps the first sound, maps letters that
sound alike to one letter, drops vowels, silent letters and doubled letters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from thriives.domain.nicknames import NICKNAMES

# Words that are not a name: titles, and what gets typed when the name is not known.
STOP_WORDS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "rev", "prof", "lord", "lady",
        "the", "and", "of", "unknown", "unk", "na", "nk", "none", "anon",
        "anonymous", "caller", "male", "female", "person", "tbc", "not", "known", "given",
    }
)  # fmt: skip

_PREFIXES = (("kn", "n"), ("wr", "r"), ("ps", "s"), ("gn", "n"), ("mac", "mc"), ("wh", "w"))
_GROUPS = (
    ("tch", "ch"), ("sch", "sk"), ("mps", "ms"), ("ph", "f"), ("ck", "k"), ("dg", "j"),
    ("gh", "g"), ("th", "t"), ("sh", "s"), ("ch", "x"), ("qu", "k"), ("x", "ks"),
)  # fmt: skip
_SOFT = re.compile(r"([cg])(?=[eiy])")
_LETTERS = str.maketrans({"c": "k", "q": "k", "z": "s", "v": "f", "y": "a", "j": "j"})
_VOWELS = frozenset("aeiouy")


def fold(text: str) -> str:
    """Lower case, accents removed, anything but letters, digits, spaces, - and ' dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9' -]+", " ", plain)


def tokens(text: str) -> list[str]:
    """The words of a name, folded; apostrophes and hyphens joined (O'Brien, Smith-Jones)."""
    return [t for t in re.split(r"[\s]+", fold(text).replace("'", "").replace("-", "")) if t]


def name_words(text: str) -> list[str]:
    """The words of a name less stop-words and words with digits in them."""
    return list(_name_words(text))


@lru_cache(maxsize=65_536)
def _name_words(text: str) -> tuple[str, ...]:
    return tuple(t for t in tokens(text) if t not in STOP_WORDS and t.isalpha())


@lru_cache(maxsize=65_536)
def phonetic(word: str) -> str:
    """The phonetic key of one word (see the module docstring); "" for no letters."""
    s = re.sub(r"[^a-z]", "", fold(word))
    if not s:
        return ""
    for start, replacement in _PREFIXES:
        if s.startswith(start):
            s = replacement + s[len(start) :]
            break
    s = _SOFT.sub(lambda m: "s" if m.group(1) == "c" else "j", s)
    for group, replacement in _GROUPS:
        s = s.replace(group, replacement)
    s = s.translate(_LETTERS)
    first, rest = s[0], s[1:]
    if first in _VOWELS:
        first = "a"  # Ellie and Ally, Emma and Ema: an opening vowel is one sound
    key = [first]
    for ch in rest:
        if ch in _VOWELS or ch in "hw":
            key.append("")  # a vowel separates doubled consonants (Hannah keeps one n)
            continue
        if key[-1] != ch:
            key.append(ch)
    return "".join(key)


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``.

    The optimal string alignment form of Damerau-Levenshtein; stops early past ``limit``.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_allowance(word: str) -> int:
    """How many slips a word of this length can carry and still be the same name."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


@lru_cache(maxsize=65_536)
def canonical_forenames(word: str) -> frozenset[str]:
    """The formal names a forename may stand for (Bill -> william), itself included."""
    return frozenset({word}) | NICKNAMES.get(word, frozenset())


MAX_DELETION_WORD = 20  # longer words get no deletion keys, so a query's keys stay few


def deletions(word: str) -> set[str]:
    """The word and every form of it with one letter left out (symmetric-delete keys)."""
    if not 3 < len(word) <= MAX_DELETION_WORD:
        return {word}
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}
