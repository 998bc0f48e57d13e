"""Step ``unicode``: repairs mojibake and stray HTML entities, conservatively.

Two repairs, each recorded as edits with offsets into the step's input:

- ``ftfy.fix_and_explain`` runs line by line (a feed may mix good and bad lines) with a
  conservative ``TextFixerConfig`` (``CONFIG``): encoding repair ("itâ€™s" → "it’s"), C1
  controls, control characters, terminal escapes, surrogates and line breaks are fixed; curly
  quotes stay curly (``uncurl_quotes=False``), full-width characters and ligatures stay
  (``fix_character_width=False``, ``fix_latin_ligatures=False``) and no Unicode normalisation
  is applied (``normalization=None``). Each changed stretch becomes one edit named after ftfy's
  explanation, e.g. ``unicode.fix_encoding`` (an encode/decode plan) or
  ``unicode.fix_c1_controls``; a line needing several fixes gets their names joined by ``+``.
- HTML entities left in the text (``&#8217;``, ``&amp;`` in a ``text/plain`` feed, or doubly
  escaped HTML) are decoded, one edit per entity, rule ``unicode.html_entity``. ftfy's own
  ``unescape_html`` is off so each entity gets its own precise edit.

What this step does not do: straighten quotes, normalise dashes or spacing (``punctuation``),
or touch text that is merely unusual (ftfy only changes what it recognises as broken).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import ftfy

from feedscrub.models import Edit

from .pipeline import Context, StepResult

__all__ = ["CONFIG", "RepairUnicode"]

CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # done below, one edit per entity
    remove_terminal_escapes=True,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=True,
    fix_surrogates=True,
    remove_control_chars=True,
    normalization=None,
    explain=True,
)

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# cheap pre-check: ftfy has nothing to do on a line made only of these characters
_PLAIN = re.compile(r"[\x20-\x7e\n\xa0-\xff\u2010-\u2027\u2030-\u205e\u0100-\u024f\u0370-\u03ff"
                    r"\u0400-\u04ff\u20ac]*")
_SUSPECT = re.compile(r"[\x80-\x9f\u00c2\u00c3\u00c5\u00ce\u00cf\u00d0\u00d1\u00e2\u0192\ufffd\x00-\x08\x0b\x0e-\x1f\x7f\r\u2028\u2029]")


def _rule(explanation: Sequence[tuple[str, str]] | None) -> str:
    names: list[str] = []
    for action, param in explanation or []:
        name = "fix_encoding" if action in ("encode", "decode", "transcode") else param
        if name not in names:
            names.append(name)
    return "unicode." + ("+".join(names) or "ftfy")


def _tight(before: str, after: str) -> tuple[int, int, int]:
    """Common prefix length and the ends of the differing stretch in ``before`` and ``after``."""
    p = 0
    n = min(len(before), len(after))
    while p < n and before[p] == after[p]:
        p += 1
    s = 0
    while s < n - p and before[-1 - s] == after[-1 - s]:
        s += 1
    return p, len(before) - s, len(after) - s


class RepairUnicode:
    """Line by line: decode stray entities, then let ftfy repair what it recognises as broken."""

    name = "unicode"

    def __call__(self, text: str, ctx: Context) -> StepResult:
        check_ftfy = bool(_SUSPECT.search(text)) or not _PLAIN.fullmatch(text)
        check_entities = "&" in text and _ENTITY.search(text) is not None
        if not (check_ftfy or check_entities):
            return StepResult(text)
        edits: list[Edit] = []
        pieces: list[str] = []
        pos = 0
        for m in re.finditer(r"[^\n]+", text):
            line = m.group(0)
            decoded, entity_edits = _decode_entities(line) if check_entities else (line, [])
            fixed = ftfy.fix_and_explain(decoded, CONFIG) if check_ftfy else None
            if fixed is None or fixed.text == decoded:
                for e in entity_edits:  # only entities: one precise edit each
                    edits.append(Edit(e.rule, m.start() + e.start, m.start() + e.end, e.before, e.after,
                                      e.reason))
                if entity_edits:
                    pieces.append(text[pos:m.start()])
                    pieces.append(decoded)
                    pos = m.end()
                continue
            rule = _rule(fixed.explanation)
            if entity_edits:
                rule = "unicode.html_entity+" + rule.removeprefix("unicode.")
            p, end_b, end_a = _tight(line, fixed.text)
            start = m.start() + p
            pieces.append(text[pos:start])
            pieces.append(fixed.text[p:end_a])
            edits.append(Edit(rule, start, m.start() + end_b, line[p:end_b], fixed.text[p:end_a],
                              "ftfy: broken Unicode repaired"))
            pos = m.start() + end_b
        if not edits:
            return StepResult(text)
        pieces.append(text[pos:])
        return StepResult("".join(pieces), edits=edits)


def _decode_entities(text: str) -> tuple[str, list[Edit]]:
    """``text`` with known HTML entities decoded, and one edit per entity (offsets in ``text``)."""
    out: list[str] = []
    edits: list[Edit] = []
    pos = 0
    for m in _ENTITY.finditer(text):
        ent = m.group(0)
        dec = html.unescape(ent)
        if dec == ent:
            continue  # not a known entity: leave it
        out.append(text[pos:m.start()])
        out.append(dec)
        edits.append(Edit("unicode.html_entity", m.start(), m.end(), ent, dec, "HTML entity decoded"))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), edits
