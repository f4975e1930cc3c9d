"""Knowledge-base articles: Markdown files with YAML front matter, one file per article and language.

Layout: ``<kb_dir>/<language>/<id>.md`` (any sub-folder works; the front matter is authoritative). A file
that cannot be used is reported with its path and the reason, and the rest of the knowledge base loads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

REQUIRED = ("id", "title", "language", "category", "tags", "updated")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_LANG = re.compile(r"^[a-z]{2}$")


class ArticleError(ValueError):
    """A malformed article; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    language: str
    category: str
    tags: tuple[str, ...]
    updated: str
    body: str
    path: str
    summary: str = ""
    digest: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.language)

    def index_text(self) -> str:
        """What the keyword index sees: title and tags weigh more by repetition."""
        return f"{self.title}\n{self.title}\n{' '.join(self.tags)}\n{self.body}"

    def dense_texts(self) -> list[str]:
        """Texts embedded for this article: a short one (title, tags, summary) that short user messages
        resemble, and a longer one (title + body start) for detailed descriptions."""
        tags = ", ".join(self.tags)
        head = f"{self.title}. {tags}. {self.summary}".strip()
        body = re.sub(r"\s+", " ", re.sub(r"[#*`>|]", " ", self.body)).strip()
        return [head, f"{self.title}. {body}"[:1500]]


def _summary(body: str) -> str:
    """First real paragraph of the body (headings, lists and tables skipped)."""
    for block in re.split(r"\n\s*\n", body):
        text = block.strip()
        if text and not text.startswith(("#", "-", "*", "|", "1.", ">", "```")):
            return re.sub(r"\s+", " ", text)[:400]
    return ""


def parse_article(path: Path, raw: bytes | None = None) -> Article:
    """Parse one file; raises ArticleError naming the file and the problem."""
    try:
        data = raw if raw is not None else path.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(path, f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ArticleError(path, f"cannot read: {exc.strerror}") from None
    text = text.lstrip("\ufeff")
    m = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)(.*)\Z", text, re.S)
    if not m:
        raise ArticleError(path, "missing YAML front matter (the file must start with a '---' block)")
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise ArticleError(
            path, f"invalid YAML front matter{where}: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter is not a mapping of fields")
    missing = [k for k in REQUIRED if meta.get(k) in (None, "", [])]
    if missing:
        raise ArticleError(path, f"missing required field(s): {', '.join(missing)}")
    art_id, lang = str(meta["id"]).strip(), str(meta["language"]).strip().lower()
    if not _ID.match(art_id):
        raise ArticleError(path, f"invalid id {art_id!r} (lower-case letters, digits, '-', '_', '.')")
    if not _LANG.match(lang):
        raise ArticleError(path, f"invalid language {lang!r} (two-letter ISO 639-1 code)")
    tags = meta["tags"]
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str | int | float) for t in tags):
        raise ArticleError(path, "tags must be a list of words")
    updated = meta["updated"]
    if isinstance(updated, datetime | date):
        updated = updated.isoformat()
    else:
        try:
            date.fromisoformat(str(updated))
        except ValueError:
            raise ArticleError(path, f"updated {updated!r} is not a date (YYYY-MM-DD)") from None
    body = m.group(2).strip()
    if len(body) < 20:
        raise ArticleError(path, "article body is empty")
    return Article(
        id=art_id,
        title=str(meta["title"]).strip(),
        language=lang,
        category=str(meta["category"]).strip(),
        tags=tuple(str(t).strip() for t in tags if str(t).strip()),
        updated=str(updated),
        body=body,
        path=str(path),
        summary=str(meta.get("summary") or _summary(body)),
        digest=hashlib.sha256(data).hexdigest(),
    )


@dataclass
class LoadResult:
    articles: list[Article]
    errors: list[ArticleError]


def scan(kb_dir: Path) -> dict[str, tuple[int, int]]:
    """Path -> (mtime_ns, size) of every Markdown file: the cheap change check behind hot reload."""
    out: dict[str, tuple[int, int]] = {}
    if not kb_dir.is_dir():
        return out
    for p in kb_dir.rglob("*.md"):
        if p.name.lower() == "readme.md" or any(part.startswith(".") for part in p.relative_to(kb_dir).parts):
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        out[str(p)] = (st.st_mtime_ns, st.st_size)
    return out


def load_articles(
    kb_dir: Path, paths: list[str] | None = None, languages: tuple[str, ...] | None = None
) -> LoadResult:
    """Parse every article (or the given paths); duplicates of (id, language) are errors, first one wins."""
    arts: list[Article] = []
    errors: list[ArticleError] = []
    seen: dict[tuple[str, str], str] = {}
    for p in sorted(paths if paths is not None else scan(kb_dir)):
        try:
            art = parse_article(Path(p))
        except ArticleError as exc:
            errors.append(exc)
            continue
        if languages and art.language not in languages:
            errors.append(ArticleError(p, f"language {art.language!r} is not one of {', '.join(languages)}"))
            continue
        if art.key in seen:
            errors.append(
                ArticleError(
                    p, f"duplicate id {art.id!r} for language {art.language!r} (also in {seen[art.key]})"
                )
            )
            continue
        seen[art.key] = p
        arts.append(art)
    return LoadResult(arts, errors)
