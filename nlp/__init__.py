"""Understanding residents' messages: taxonomy, jieba tokenizer, classifier, extractors, intents, emergencies,
dialog turns and the details of answers.

Imports no other package of the project: place names and the taxonomy are handed in as data."""
from .analyzer import Analyzer, Understanding
from .answers import Details, TimeSlot
from .emergencies import Emergency, EmergencyRules
from .extract import mask_phone
from .intent import INTENTS
from .places import Place, places_from_csv
from .readers import details, emergency, turn
from .taxonomy import Category, Taxonomy, load_taxonomy
from .turns import EXPECTING, TURN_KINDS, Turn

__all__ = ["Analyzer", "Understanding", "Place", "places_from_csv", "Category", "Taxonomy", "load_taxonomy",
           "mask_phone", "INTENTS", "Emergency", "EmergencyRules", "emergency", "Turn", "TURN_KINDS", "EXPECTING",
           "turn", "Details", "TimeSlot", "details"]
