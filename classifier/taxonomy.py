"""The category set as the classifier reads it: ids, names, descriptions and example phrases per language.

The desk's admin edits one YAML file (dialog/taxonomy/it.yaml by default, ATENDE_TAXONOMY_FILE for another);
the dialog reads the same file for names and playbooks. This package must not import dialog, so it reads
the fields it needs itself. A broken file is refused with a TaxonomyError whose message names the file, the
category and the field, because the person who reads it is the admin who just edited the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from classifier.errors import ClassifierError

LANGUAGES = ("es", "pt", "en")
TYPES = ("incident", "request")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class TaxonomyError(ClassifierError, ValueError):
    """The taxonomy file is missing or malformed; the message says where and what."""


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    names: Mapping[str, str]
    description: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]]
    default_type: str = "incident"

    def texts(self) -> list[tuple[str, str]]:
        """(language, text) pairs the cold-start model learns from: every example, plus per language the
        name and description as one phrase (they carry the category's vocabulary)."""
        out = [(lang, ex) for lang in self.examples for ex in self.examples[lang]]
        for lang in LANGUAGES:
            name, desc = self.names.get(lang, ""), self.description.get(lang, "")
            if name or desc:
                out.append((lang, f"{name}: {desc}".strip(": ")))
        return out


@dataclass(frozen=True, slots=True)
class Taxonomy:
    categories: tuple[Category, ...]
    sha256: str
    source: str  # file name (no machine path), for the model card

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.categories]

    def get(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read and check a taxonomy file. Raises TaxonomyError naming the problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"taxonomy file {path} cannot be read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path.name}: not valid UTF-8 YAML: {exc}") from None
    return parse_taxonomy(data, source=path.name, sha256=hashlib.sha256(raw).hexdigest())


def parse_taxonomy(data: Any, source: str = "<taxonomy>", sha256: str = "") -> Taxonomy:
    """Check an already parsed document (e.g. built in a test) and return the Taxonomy."""
    if not isinstance(data, dict):
        raise TaxonomyError(f"{source}: expected a mapping with 'version' and 'categories'")
    if data.get("version") != 1:
        raise TaxonomyError(f"{source}: 'version' must be 1 (found {data.get('version')!r})")
    items = data.get("categories")
    if not isinstance(items, list) or len(items) < 2:
        raise TaxonomyError(f"{source}: 'categories' must be a list of at least two categories")
    seen: set[str] = set()
    cats = []
    for i, item in enumerate(items, 1):
        cat = _category(item, f"{source}: category #{i}")
        if cat.id in seen:
            raise TaxonomyError(f"{source}: category #{i}: duplicate id {cat.id!r}")
        seen.add(cat.id)
        cats.append(cat)
    if not sha256:
        sha256 = hashlib.sha256(yaml.safe_dump(data, sort_keys=True).encode()).hexdigest()
    return Taxonomy(categories=tuple(cats), sha256=sha256, source=source)


def _category(item: Any, where: str) -> Category:
    if not isinstance(item, dict):
        raise TaxonomyError(f"{where}: expected a mapping with id, names, description, examples")
    cid = item.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise TaxonomyError(
            f"{where}: 'id' must be lowercase letters, digits or _ starting with a letter (found {cid!r})"
        )
    where = f"{where} ({cid})"
    names = _per_language(item.get("names"), f"{where}: names")
    description = _per_language(item.get("description"), f"{where}: description")
    examples = _examples(item.get("examples"), f"{where}: examples")
    default_type = item.get("default_type", "incident")
    if default_type not in TYPES:
        raise TaxonomyError(
            f"{where}: default_type must be one of {', '.join(TYPES)} (found {default_type!r})"
        )
    playbook = item.get("playbook", cid)
    if not isinstance(playbook, str) or not playbook:
        raise TaxonomyError(f"{where}: playbook must be a file id (found {playbook!r})")
    return Category(cid, names, description, examples, default_type)


def _per_language(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: expected a mapping of language to text, e.g. {{es: ..., en: ...}}")
    out = {}
    for lang, text in value.items():
        if not isinstance(text, str) or not text.strip():
            raise TaxonomyError(f"{where}.{lang}: expected a non-empty text (found {text!r})")
        out[str(lang)] = text.strip()
    if not out:
        raise TaxonomyError(f"{where}: give at least one language")
    return out


def _examples(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or not value:
        raise TaxonomyError(f"{where}: expected a mapping of language to a list of phrases")
    out: dict[str, tuple[str, ...]] = {}
    for lang, phrases in value.items():
        if not isinstance(phrases, list) or not phrases:
            raise TaxonomyError(f"{where}.{lang}: expected a non-empty list of phrases")
        for j, p in enumerate(phrases, 1):
            if not isinstance(p, str) or not p.strip():
                raise TaxonomyError(f"{where}.{lang}[{j}]: expected a phrase (found {p!r})")
        out[str(lang)] = tuple(p.strip() for p in phrases)
    return out


def training_rows(taxonomy: Taxonomy) -> tuple[list[str], list[str], list[str]]:
    """Texts, category ids and languages of everything the cold-start model learns from."""
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []
    for cat in taxonomy.categories:
        for lang, text in cat.texts():
            texts.append(text)
            labels.append(cat.id)
            langs.append(lang)
    return texts, labels, langs


def example_set(taxonomy: Taxonomy) -> set[str]:
    """Every example phrase, normalised for overlap checks (lowercase, accents and punctuation removed)."""
    return {normalise(ex) for cat in taxonomy.categories for exs in cat.examples.values() for ex in exs}


def normalise(text: str) -> str:
    import unicodedata

    flat = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", flat))


__all__: Sequence[str] = (
    "LANGUAGES",
    "TYPES",
    "Category",
    "Taxonomy",
    "TaxonomyError",
    "example_set",
    "load_taxonomy",
    "normalise",
    "parse_taxonomy",
    "training_rows",
)
