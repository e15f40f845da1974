"""Sending the e-mail edition of a bulletin to its subscribers, never twice to anyone."""
from .send import Journal, JournalLocked, Recipient, normalise_address, read_recipients, run_mail

__all__ = ["Journal", "JournalLocked", "Recipient", "normalise_address", "read_recipients", "run_mail"]
