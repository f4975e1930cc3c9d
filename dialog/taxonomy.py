"""The desk's category set: one data file an admin edits (names, descriptions, examples, playbook, type).

The default is ``dialog/taxonomy/it.yaml`` (an IT service desk's ten categories); ``ATENDE_TAXONOMY_FILE``
(``EngineSettings.taxonomy_file``) points to the desk's own. The engine takes from it what a user sees
(category names in the clarifying question and the ticket confirmation), which playbook a category asks, and
the type a category usually files; the classifier reads the same file for its cold start. A broken file is
refused at start-up with a message naming the file, the category and the field, because a half-loaded
taxonomy would file tickets under ids nobody can route.

    version: 1
    categories:
      - id: access                 # [a-z0-9_]+, stable: tickets and statistics keep it
        names: {es: ..., pt: ..., en: ...}
        description: {es: ..., pt: ..., en: ...}
        examples: {es: [...], pt: [...], en: [...]}
        playbook: access           # dialog/playbooks/<id>.yaml; defaults to the id
        default_type: incident     # or request
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dialog.settings import SUPPORTED_LANGUAGES
from dialog.text import canonical

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(r"^[a-z0-9_]+$")
TYPES = ("incident", "request")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed; the message names the file, the category and the field."""


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    names: Mapping[str, str]
    description: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]]
    playbook: str
    default_type: str

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()))


def _texts(raw: Any, where: str, languages: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: expected a mapping of language -> text")
    out: dict[str, str] = {}
    for lang in languages:
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise TaxonomyError(f"{where}: missing or empty text for language {lang!r} (quote yes/no/on/off)")
        out[lang] = value.strip()
    return out


def _examples(raw: Any, where: str, languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {lang: () for lang in languages}
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: expected a mapping of language -> list of phrases")
    out: dict[str, tuple[str, ...]] = {}
    for lang, phrases in raw.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise TaxonomyError(f"{where}.{lang}: expected a list of quoted phrases")
        out[str(lang)] = tuple(phrases)
    return out


def parse_category(raw: Any, where: str, languages: tuple[str, ...]) -> Category:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: a category must be a mapping")
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise TaxonomyError(f"{where}: field 'id' {cid!r} must match [a-z0-9_]+")
    where = f"{where} ({cid})"
    playbook = raw.get("playbook", cid)
    if not isinstance(playbook, str) or not _ID.match(playbook):
        raise TaxonomyError(f"{where}: field 'playbook' {playbook!r} must match [a-z0-9_]+")
    default_type = raw.get("default_type", "incident")
    if default_type not in TYPES:
        raise TaxonomyError(f"{where}: field 'default_type' must be one of {', '.join(TYPES)}, "
                            f"not {default_type!r} (problems and changes are for agents)")
    return Category(cid, _texts(raw.get("names"), f"{where}: field 'names'", languages),
                    _texts(raw.get("description"), f"{where}: field 'description'", languages),
                    _examples(raw.get("examples"), f"{where}: field 'examples'", languages),
                    playbook, str(default_type))


class Taxonomy:
    """The loaded categories, in the file's order (the order of the clarifying question's fallbacks)."""

    def __init__(self, categories: Iterable[Category], source: str = "taxonomy") -> None:
        self.categories: tuple[Category, ...] = tuple(categories)
        self.source = source
        if not self.categories:
            raise TaxonomyError(f"{source}: no categories")
        self._by_id: dict[str, Category] = {}
        for category in self.categories:
            if category.id in self._by_id:
                raise TaxonomyError(f"{source}: category {category.id!r} is defined twice")
            self._by_id[category.id] = category

    @classmethod
    def load(cls, path: Path | None = None, languages: Iterable[str] = SUPPORTED_LANGUAGES) -> Taxonomy:
        langs = tuple(languages)
        if path is None:
            source, content = "it.yaml", resources.files("dialog").joinpath("taxonomy", "it.yaml") \
                .read_text(encoding="utf-8")
        else:
            source = str(path)
            try:
                content = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise TaxonomyError(f"{source}: cannot read the taxonomy file ({exc.strerror})") from exc
        try:
            raw = yaml.load(content, Loader=_Loader)
        except yaml.YAMLError as exc:
            raise TaxonomyError(f"{source}: not valid YAML: {exc}") from exc
        return cls.parse(raw, source, langs)

    @classmethod
    def parse(cls, raw: Any, source: str, languages: tuple[str, ...] = SUPPORTED_LANGUAGES) -> Taxonomy:
        if not isinstance(raw, dict) or not isinstance(raw.get("categories"), list):
            raise TaxonomyError(f"{source}: expected a mapping with 'version: 1' and a 'categories' list")
        if raw.get("version", 1) != 1:
            raise TaxonomyError(f"{source}: field 'version' must be 1, not {raw.get('version')!r}")
        return cls((parse_category(c, f"{source}: category {i + 1}", languages)
                    for i, c in enumerate(raw["categories"])), source)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def __contains__(self, cid: object) -> bool:
        return cid in self._by_id

    def get(self, cid: str) -> Category | None:
        return self._by_id.get(cid)

    def name(self, lang: str, cid: str) -> str:
        """The category's name in ``lang``; an id the file no longer has (an old ticket) shows as itself."""
        category = self._by_id.get(cid)
        return category.name(lang) if category else cid.replace("_", " ").capitalize()

    def playbook(self, cid: str) -> str:
        category = self._by_id.get(cid)
        return category.playbook if category else cid

    def default_type(self, cid: str) -> str:
        category = self._by_id.get(cid)
        return category.default_type if category else "incident"

    def named_in(self, text: str, exclude: Iterable[str] = ()) -> list[str]:
        """Categories whose name (in any language) the text mentions: "no es de impresora" names
        "Impresión y escáneres". Name words of four letters or more are compared by a crude stem (the word
        less its last three letters, at least five: "print" covers printers and printing, "impres" covers
        impresora), without accents."""
        tokens = canonical(text).split()
        skip = set(exclude)
        found: list[str] = []
        for category in self.categories:
            if category.id in skip:
                continue
            stems = {w[:max(5, len(w) - 3)] for name in category.names.values()
                     for w in canonical(name).split() if len(w) >= 4}
            if any(token.startswith(stem) for stem in stems for token in tokens):
                found.append(category.id)
        return found
