"""Ticket classifier: category, type and priority with calibrated confidence (scikit-learn).

Public API::

    clf = classifier.load()        # the shipped model (models/classifier), or load(path, taxonomy_file)
    clf.predict("My laptop does not boot")      # {"category": HeadPrediction(label, confidence, top), ...}
    clf.predict_many(texts); clf.labels("category"); clf.version
    classifier.train(texts, {"category": [...], "type": [...], "priority": [...]}, seed=0).save(out_dir)
    classifier.build_triage("dialog/taxonomy/it.yaml").save(out_dir)   # cold start from a taxonomy file

Imports only its libraries (numpy, scipy, scikit-learn, skops), never another Atende package.
"""

from classifier.api import (
    MAX_CHARS,
    HeadPrediction,
    TicketClassifier,
    build_triage,
    default_model_dir,
    load,
    record_metrics,
    steps,
    train,
)
from classifier.data import DEFAULT_LABEL_COLUMNS, DEFAULT_TEXT_COLUMNS, Dataset, read_csv
from classifier.errors import (
    ClassifierError,
    DataError,
    EmptyInputError,
    InputTooLongError,
    InvalidInputError,
    ModelLoadError,
)
from classifier.model import HEADS, Config
from classifier.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "DEFAULT_LABEL_COLUMNS",
    "DEFAULT_TEXT_COLUMNS",
    "HEADS",
    "MAX_CHARS",
    "ClassifierError",
    "Config",
    "DataError",
    "Dataset",
    "EmptyInputError",
    "HeadPrediction",
    "InputTooLongError",
    "InvalidInputError",
    "ModelLoadError",
    "Taxonomy",
    "TaxonomyError",
    "TicketClassifier",
    "build_triage",
    "default_model_dir",
    "load",
    "load_taxonomy",
    "read_csv",
    "record_metrics",
    "steps",
    "train",
]
