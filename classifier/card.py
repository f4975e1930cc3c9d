"""MODEL_CARD.md: the human-readable side of card.json (what the model is, what it was trained on, how
well it did, how to rebuild it, and under which terms)."""

from __future__ import annotations

from typing import Any

_HEADLINE = ("accuracy", "macro_f1", "top3_accuracy", "selective_accuracy_70", "ece")


def render_markdown(card: dict[str, Any]) -> str:
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
