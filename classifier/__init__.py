"""Ticket classifier: category, type and priority with calibrated confidence (scikit-learn).

Public API::

    clf = classifier.load()                      # the shipped model (models/classifier), or load(path)
    clf.predict("My laptop does not boot")      # {"category": HeadPrediction(label, confidence, top), ...}
    clf.predict_many(texts); clf.labels("category"); clf.version
    classifier.train(texts, {"category": [...], "type": [...], "priority": [...]}, seed=0).save(out_dir)

Imports only its libraries (numpy, scipy, scikit-learn, skops), never another Atende package.
"""

from classifier.api import (
    MAX_CHARS,
    HeadPrediction,
    TicketClassifier,
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
    "TicketClassifier",
    "default_model_dir",
    "load",
    "read_csv",
    "record_metrics",
    "steps",
    "train",
]
