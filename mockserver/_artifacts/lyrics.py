"""Lyrics for "Generate Lyrics" and word timings for "Get Timestamped Lyrics".

:func:`generate_lyrics` writes song text the way the real service lays it
out: sections under bracketed headers (``[Verse]``, ``[Chorus]``, ...), lines
of a few words, the chorus repeated verbatim, and two titled variants per
task. The words come from a fixed vocabulary, with the prompt's own words
woven in, so a client sees its topic echoed; everything is a pure function of
``(prompt, seed)``.

:func:`align` times the words of any lyrics against a track's duration, in
the shape of ``alignedWords``: a section header rides on the first word after
it (``"[Verse]\\nNeon"``), as in the real answers, and times are whole
milliseconds that never decrease and stay inside the track. Text without words
(an instrumental) gives no words. :func:`waveform` gives the matching
``waveformData``: a smooth, seeded loudness curve in ``[0, 1]``.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

__all__ = ["Lyrics", "align", "generate_lyrics", "waveform"]

_NOUNS = (
    "rain", "river", "city", "heart", "fire", "signal", "ocean", "highway", "shadow", "window",
    "echo", "garden", "engine", "mirror", "thunder", "lantern", "harbor", "satellite", "summer", "wire",
)  # fmt: skip
_ADJECTIVES = (
    "neon", "golden", "silent", "electric", "wild", "broken", "endless", "velvet", "hollow", "bright",
    "restless", "distant", "silver", "burning", "quiet", "tender",
)  # fmt: skip
_VERBS = ("chase", "hold", "follow", "carry", "light", "dream", "call", "run", "sing", "find", "break", "burn")
_PLACES = ("skyline", "station", "shoreline", "rooftop", "avenue", "borderline", "valley", "midnight train")
_VERSE = (
    "{a} {k} on the {p}",
    "I {v} the {n} until the morning",
    "we {v} through the {a} {n}",
    "every {n} is {a} tonight",
    "your {k} like a {a} {n}",
    "{v} the {k} and bring it home",
    "{a} lights over the {p}",
    "counting every {n} on the {p}",
    "the {n} keeps calling out your name",
    "we were {a} under a {a} sky",
)
_CHORUS = (
    "oh {k}, {a} {k}",
    "we {v} and we {v} again",
    "{a} {n}, never let it go",
    "sing it to the {p}",
    "hold on to the {k} tonight",
    "{v} with me, {v} with me",
)
_BRIDGE = (
    "and if the {n} should fall",
    "I will {v} it all",
    "{a} and {a}, we stand",
    "a {n} in my hand",
)
_STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "in", "into", "is", "it", "of", "on",
    "or", "our", "song", "songs", "that", "the", "this", "to", "was", "we", "with", "about", "make", "music",
    "track", "style", "genre", "beat", "vibe", "feat", "featuring", "lyrics", "write",
))  # fmt: skip


@dataclass(frozen=True)
class Lyrics:
    """One variant: a title and the sectioned text."""

    title: str
    text: str


def _keywords(prompt: str) -> list[str]:
    """The prompt's content words (lowercase, in order, each once, at most six)."""
    words: list[str] = []
    for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", prompt.lower()):
        if len(word) >= 3 and word not in _STOPWORDS and word not in words:
            words.append(word)
    return words[:6]


class _Writer:
    """Fills line templates from the vocabulary and the prompt's words."""

    def __init__(self, rng: random.Random, keywords: list[str]) -> None:
        self._rng = rng
        self._keywords = keywords or [rng.choice(_NOUNS)]

    def word(self, slot: str) -> str:
        """A word for a template slot: noun, adjective, verb, place or keyword."""
        pools = {"n": _NOUNS, "a": _ADJECTIVES, "v": _VERBS, "p": _PLACES}
        if slot == "k":
            return self._rng.choice(self._keywords)
        return self._rng.choice(pools[slot])

    def line(self, template: str) -> str:
        """One line from ``template``: slots filled, "a" before a vowel made "an", first letter capitalized."""
        text = re.sub(r"\{(\w)\}", lambda match: self.word(match.group(1)), template)
        text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)
        return text[0].upper() + text[1:]

    def lines(self, templates: tuple[str, ...], count: int) -> list[str]:
        """``count`` lines from as many different templates."""
        return [self.line(template) for template in self._rng.sample(templates, count)]


def _variant(prompt: str, seed: int, index: int) -> Lyrics:
    """Variant ``index`` of the lyrics for ``(prompt, seed)``."""
    rng = random.Random(f"suno-mockkit/lyrics/{seed}/{index}/{prompt}")
    keywords = _keywords(prompt)
    writer = _Writer(rng, keywords)
    chorus = writer.lines(_CHORUS, 4)
    sections = [
        ("Verse", writer.lines(_VERSE, 4)),
        ("Chorus", chorus),
        ("Verse 2", writer.lines(_VERSE, 4)),
        ("Chorus", chorus),
        ("Bridge", writer.lines(_BRIDGE, rng.choice((2, 4)))),
        ("Chorus", chorus),
        ("Outro", writer.lines(_VERSE, 2)),
    ]
    text = "\n\n".join(f"[{name}]\n" + "\n".join(lines) for name, lines in sections)
    if index == 0 and keywords:
        title = " ".join(word.capitalize() for word in keywords[:2])
    else:
        title = f"{writer.word('a').capitalize()} {writer.word('n').capitalize()}"
    return Lyrics(title, text)


def generate_lyrics(prompt: str, seed: int) -> tuple[Lyrics, Lyrics]:
    """Two titled, sectioned variants for ``prompt`` (deterministic in ``(prompt, seed)``)."""
    return _variant(prompt, seed, 0), _variant(prompt, seed, 1)


# ---------------------------------------------------------------- timestamps

_HEADER = re.compile(r"\[[^\]\n]*\]")
_WORD_GAP, _LINE_GAP, _SECTION_GAP = 1, 3, 6  # pauses, in the units of one letter


def _tokens(lyrics_text: str) -> list[tuple[str, int, int]]:
    """``(word as shown, letters, pause after)`` for every sung word; headers join the next word."""
    tokens: list[tuple[str, int, int]] = []
    prefix = ""
    for line in lyrics_text.splitlines():
        stripped = line.strip()
        if _HEADER.fullmatch(stripped):
            prefix += stripped + "\n"
            if tokens:
                word, letters, _ = tokens[-1]
                tokens[-1] = (word, letters, _SECTION_GAP)
            continue
        words = stripped.split()
        for position, word in enumerate(words):
            pause = _LINE_GAP if position == len(words) - 1 else _WORD_GAP
            tokens.append((prefix + word, len(word), pause))
            prefix = ""
    return tokens


def _millis(seconds: float) -> float:
    """Round down to whole milliseconds (monotone, so order and bounds survive)."""
    return math.floor(seconds * 1000) / 1000


def align(lyrics_text: str, duration_s: float) -> list[dict[str, object]]:
    """Word timings ``{word, success, startS, endS, palign}`` for ``lyrics_text`` sung over ``duration_s``.

    Singing starts after an intro (a tenth of the track, at most 8 s) and ends
    before an outro (a twentieth, at most 5 s); each word lasts in proportion
    to its letters, with pauses between words, lines and sections. For every
    word ``0 <= startS <= endS <= next startS`` and ``endS <= duration_s``.
    Lyrics without words (an instrumental: empty text or headers only) give
    ``[]``. Raises ValueError unless ``duration_s`` is finite and >= 0.
    """
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ValueError(f"duration_s must be finite and >= 0, got duration_s={duration_s!r}")
    tokens = _tokens(lyrics_text)
    if not tokens:
        return []
    first = min(0.1 * duration_s, 8.0)
    last = duration_s - min(0.05 * duration_s, 5.0)
    total = sum(letters + pause for _, letters, pause in tokens)
    scale = (last - first) / total
    words: list[dict[str, object]] = []
    position = 0
    for word, letters, pause in tokens:
        start = first + position * scale
        end = first + (position + letters) * scale
        words.append({"word": word, "success": True, "startS": _millis(start), "endS": _millis(end), "palign": 0})
        position += letters + pause
    return words


def waveform(seed: int, n: int) -> list[float]:
    """``n`` loudness values in ``[0, 1]``: a few slow seeded swells plus a little texture."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got n={n!r}")
    rng = random.Random(f"suno-mockkit/waveform/{seed}")
    swells = [(rng.uniform(0.2, 1.0), rng.uniform(0.5, 6.0), rng.uniform(0, 2 * math.pi)) for _ in range(3)]
    texture = 0.25
    norm = sum(amplitude for amplitude, _, _ in swells) + texture
    values = []
    for i in range(n):
        t = i / max(1, n)
        level = sum(a * (1 + math.sin(2 * math.pi * f * t + phase)) / 2 for a, f, phase in swells)
        values.append(round((level + texture * rng.random()) / norm, 4))
    return values
