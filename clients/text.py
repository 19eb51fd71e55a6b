"""Input hygiene for text people type: see casework.text, where `neutralise` lives so that every
app's forms (accounts included, below clients) can use it through casework.forms."""

from casework.text import neutralise

__all__ = ["neutralise"]
