"""Understanding residents' messages: taxonomy, jieba tokenizer, classifier, extractors and intents.

Imports no other package of the project: place names and the taxonomy are handed in as data."""
from .analyzer import Analyzer, Understanding
from .extract import mask_phone
from .intent import INTENTS
from .places import Place, places_from_csv
from .taxonomy import Category, Taxonomy, load_taxonomy

__all__ = ["Analyzer", "Understanding", "Place", "places_from_csv", "Category", "Taxonomy", "load_taxonomy",
           "mask_phone", "INTENTS"]
