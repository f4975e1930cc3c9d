"""Diagnostic playbooks: the questions asked per category, kept as YAML that a service-desk admin edits.

``common.yaml`` holds the questions asked for every incident (impact and urgency at least); one file per
playbook id (a taxonomy category's ``playbook``: ``access.yaml``, ``network.yaml`` ...) holds 2-4 specific
ones, asked first; ``request.yaml`` replaces both for service requests. A question is::

    - id: device                 # [a-z0-9_]+, unique within its category (answers are stored under it)
      kind: choice               # choice | text | yesno | date
      prompt: {en: ..., es: ..., pt: ...}
      hint: {en: ..., es: ..., pt: ...}       # optional, shown with an invalid answer
      field: impact              # optional: impact | urgency feed the ticket's fields of that name
      optional: true             # text only: offers "skip"
      free_text: true            # choice only: a free answer ("by Friday") is kept as given at once
      when: {device: [laptop]}   # asked only when an earlier answer of this playbook is one of these
      min_length: 3              # text only
      options:                   # choice only
        - value: laptop
          label: {en: Laptop or desktop, es: ..., pt: ...}
          synonyms: {en: [pc, computer], es: [...], pt: [...]}
      skip_if:                   # the answer is plainly in the description: the question is not asked
        - value: laptop          # omit value to parse the matched text as the answer (dates, error codes)
          patterns: {en: ['\\blaptop\\b'], es: [...], pt: [...]}

Patterns are regular expressions matched against the folded description (lower case, no accents), in every
language, so "todo mundo" skips the impact question even in a conversation held in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml

from dialog.settings import SUPPORTED_LANGUAGES
from dialog.text import fold

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster

QuestionKind = Literal["choice", "text", "yesno", "date"]
KINDS: tuple[QuestionKind, ...] = ("choice", "text", "yesno", "date")
FIELD_VALUES = {
    "impact": ("individual", "team", "organization"),
    "urgency": ("low", "medium", "high"),
}
_ID = re.compile(r"^[a-z0-9_]+$")


class PlaybookError(ValueError):
    """A playbook file is malformed; the message names the file and the question."""


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    labels: Mapping[str, str]
    synonyms: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class SkipRule:
    value: str | None
    patterns: tuple[re.Pattern[str], ...]

    def match(self, folded: str) -> str | None:
        """The answer this rule infers from a folded description, or None."""
        for pattern in self.patterns:
            m = pattern.search(folded)
            if m:
                return self.value if self.value is not None else m.group(0)
        return None


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: QuestionKind
    prompt: Mapping[str, str]
    hint: Mapping[str, str]
    choices: tuple[Choice, ...] = ()
    field: str | None = None
    optional: bool = False
    min_length: int = 3
    skip_if: tuple[SkipRule, ...] = ()
    #: A choice that also takes a free answer as given at once ("when do you need it? ... or write the
    #: date": "by Friday" is an answer, not a mistake).
    free_text: bool = False
    #: Asked only when an earlier answer of the same playbook is one of these values ({qid: values}).
    when: Mapping[str, tuple[str, ...]] = dc_field(default_factory=dict)

    def applies(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(qid) in values for qid, values in self.when.items())

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True, slots=True)
class Playbook:
    category: str
    questions: tuple[Question, ...]


def _texts(raw: Any, where: str, languages: tuple[str, ...], required: bool = True) -> dict[str, str]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, dict):
        raise PlaybookError(f"{where}: expected a mapping of language -> text")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise PlaybookError(f"{where}: texts must be strings (quote yes/no/on/off)")
    out = {str(k): str(v) for k, v in raw.items()}
    missing = [lang for lang in languages if not out.get(lang)]
    if missing:
        raise PlaybookError(f"{where}: missing language(s) {', '.join(missing)}")
    return out


def _patterns(raw: Any, where: str) -> tuple[re.Pattern[str], ...]:
    items: list[str] = []
    if isinstance(raw, dict):
        for value in raw.values():
            items.extend(str(p) for p in (value or []))
    elif isinstance(raw, list):
        items.extend(str(p) for p in raw)
    else:
        raise PlaybookError(f"{where}: patterns must be a list or a mapping of language -> list")
    try:
        return tuple(re.compile(fold(p)) for p in items)
    except re.error as exc:
        raise PlaybookError(f"{where}: bad pattern: {exc}") from exc


def _question(raw: Any, where: str, languages: tuple[str, ...]) -> Question:
    if not isinstance(raw, dict):
        raise PlaybookError(f"{where}: a question must be a mapping")
    qid = str(raw.get("id", ""))
    if not _ID.match(qid):
        raise PlaybookError(f"{where}: id {qid!r} must match [a-z0-9_]+")
    where = f"{where} ({qid})"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise PlaybookError(f"{where}: kind must be one of {', '.join(KINDS)}")
    choices: list[Choice] = []
    for i, opt in enumerate(raw.get("options") or []):
        value = str(opt.get("value", "")) if isinstance(opt, dict) else ""
        if not _ID.match(value):
            raise PlaybookError(f"{where}: option {i + 1} needs a value matching [a-z0-9_]+")
        raw_synonyms = opt.get("synonyms") or {}
        if not all(isinstance(w, str) for words in raw_synonyms.values() for w in (words or [])):
            raise PlaybookError(f"{where}: option {value} synonyms must be strings (quote yes/no/on/off)")
        synonyms = {str(k): tuple(v or []) for k, v in raw_synonyms.items()}
        labels = _texts(opt.get("label"), f"{where} option {value}", languages)
        choices.append(Choice(value, labels, synonyms))
    if kind == "choice" and len(choices) < 2:
        raise PlaybookError(f"{where}: a choice question needs at least two options")
    field = raw.get("field")
    if field is not None:
        if field not in FIELD_VALUES:
            raise PlaybookError(f"{where}: field must be one of {', '.join(FIELD_VALUES)}")
        if kind != "choice" or {c.value for c in choices} != set(FIELD_VALUES[field]):
            raise PlaybookError(f"{where}: field {field} needs a choice with values {FIELD_VALUES[field]}")
    rules = []
    for j, rule in enumerate(raw.get("skip_if") or []):
        if not isinstance(rule, dict):
            raise PlaybookError(f"{where}: skip_if entries must be mappings")
        inferred = rule.get("value")
        if inferred is not None and not isinstance(inferred, str):
            raise PlaybookError(f"{where}: skip_if value {inferred!r} must be a string (quote yes/no)")
        if inferred is not None and kind == "choice" and not any(c.value == inferred for c in choices):
            raise PlaybookError(f"{where}: skip_if value {inferred!r} is not an option")
        if inferred is not None and kind == "yesno" and inferred not in ("yes", "no"):
            raise PlaybookError(f"{where}: skip_if value of a yes/no question must be yes or no")
        rules.append(SkipRule(inferred, _patterns(rule.get("patterns"), f"{where} skip_if {j + 1}")))
    raw_when = raw.get("when") or {}
    if not isinstance(raw_when, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in raw_when.items()):
        raise PlaybookError(f"{where}: when must map an earlier question id to a list of quoted values")
    return Question(
        when={str(k): tuple(v) for k, v in raw_when.items()},
        id=qid, kind=kind, prompt=_texts(raw.get("prompt"), f"{where} prompt", languages),
        hint=_texts(raw.get("hint"), f"{where} hint", languages, required=False), choices=tuple(choices),
        field=None if field is None else str(field), optional=bool(raw.get("optional", False)),
        min_length=int(raw.get("min_length", 3)), skip_if=tuple(rules),
        free_text=bool(raw.get("free_text", False)),
    )


def parse_playbook(raw: Any, source: str, languages: tuple[str, ...] = SUPPORTED_LANGUAGES) -> Playbook:
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise PlaybookError(f"{source}: expected a mapping with 'category' and a 'questions' list")
    category = str(raw.get("category", ""))
    if not _ID.match(category):
        raise PlaybookError(f"{source}: category {category!r} must match [a-z0-9_]+")
    questions = tuple(_question(q, f"{source} question {i + 1}", languages)
                      for i, q in enumerate(raw["questions"]))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise PlaybookError(f"{source}: duplicate question ids")
    for i, q in enumerate(questions):
        for ref in q.when:
            if ref not in ids[:i]:
                raise PlaybookError(f"{source} question {i + 1} ({q.id}): when names {ref!r}, "
                                    "which is not an earlier question of this playbook")
    return Playbook(category, questions)


REQUEST = "request"


class Playbooks:
    """The loaded playbooks: common questions, one playbook per playbook id, and the request questions.

    Incidents get their category's playbook, then the common ones (impact, urgency). Service requests get
    ``request.yaml`` instead (what, for whom, by when, approved by whom), which carries impact and urgency
    itself: asking "did it work before?" about a licence someone needs is the wrong conversation.
    """

    def __init__(self, common: Playbook, categories: Mapping[str, Playbook],
                 request: Playbook | None = None) -> None:
        fields = {q.field for q in common.questions}
        if not {"impact", "urgency"} <= fields:
            raise PlaybookError("common playbook: needs questions with field impact and field urgency")
        for pb in categories.values():
            clash = {q.id for q in pb.questions} & {q.id for q in common.questions}
            if clash:
                raise PlaybookError(f"{pb.category}: question ids {sorted(clash)} clash with common ones")
        self.common = common
        self.categories: dict[str, Playbook] = dict(categories)
        self.request = request

    @classmethod
    def load(cls, directory: Path | None = None, languages: Iterable[str] = SUPPORTED_LANGUAGES) -> Playbooks:
        langs = tuple(languages)
        folder: Traversable = resources.files("dialog").joinpath("playbooks") if directory is None \
            else Path(directory)
        common: Playbook | None = None
        request: Playbook | None = None
        categories: dict[str, Playbook] = {}
        files = sorted((f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))),
                       key=lambda f: f.name)
        for file in files:
            try:
                raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
            except yaml.YAMLError as exc:
                raise PlaybookError(f"{file.name}: {exc}") from exc
            playbook = parse_playbook(raw, file.name, langs)
            if playbook.category == "common":
                common = playbook
            elif playbook.category == REQUEST:
                request = playbook
            elif playbook.category in categories:
                raise PlaybookError(f"{file.name}: a second playbook for {playbook.category}")
            else:
                categories[playbook.category] = playbook
        if common is None:
            raise PlaybookError(f"no common playbook (category: common) in {folder}")
        return cls(common, categories, request)

    def missing(self, wanted: Mapping[str, str]) -> list[str]:
        """``{category: playbook id}`` pairs whose explicitly named playbook does not exist (a category
        whose playbook is its own id may have none: it gets the common questions)."""
        return [f"category {cid!r}: playbook {pid!r} not found"
                for cid, pid in wanted.items() if pid != cid and pid not in self.categories]

    def questions_for(self, playbook: str, request: bool = False) -> list[Question]:
        """Requests: the request questions. Incidents: the playbook's (diagnosis), then the common ones."""
        if request and self.request is not None:
            return list(self.request.questions)
        specific = self.categories.get(playbook)
        return [*(specific.questions if specific else ()), *self.common.questions]

    def question(self, playbook: str, qid: str, request: bool = False) -> Question | None:
        return next((q for q in self.questions_for(playbook, request) if q.id == qid), None)
