"""Sending the e-mail edition of a bulletin to its subscribers, never twice to anyone.

    python build.py mail NUMBER --recipients FILE [--dry-run [--out DIR]] [--smtp HOST:PORT] [--rate N]

The edition is rendered from the content by the same code as the build (email_edition),
not read from output/. Each message is multipart/alternative (text + HTML) with the list
headers mail services expect (List-Id, List-Unsubscribe, List-Unsubscribe-Post).

Never twice: a journal, ``mail-journal/bulletin-<n>.journal`` (the folder is
``mail.journal_dir``; not under .cache/, which `make clean` deletes), gets a ``sending``
line for an address once the server has accepted its recipient and before the DATA
command, and a verdict line (``sent`` on the 250 after DATA) once the server has answered;
each line is written with O_APPEND and fsync'ed before the mailing goes on. Running the
same command again skips every address journalled ``sent`` or ``unconfirmed``, so a mailing cut short by a
crash, a lost network or Ctrl-C is resumed by simply repeating it. An address left
``sending`` without a verdict (the program was killed while the server had, or was
receiving, its message: most of each message's time) is in doubt: the next run journals
it as ``unconfirmed``, reports it and never sends it again. Ctrl-C and SIGTERM are held
back while a message is in flight, so the first press stops the mailing cleanly after
the current message. Each recipient's Message-ID is the same in every run of one mailing,
so the editor can look an unconfirmed message up in the mail server's log.

Errors before the message itself went out (connecting, MAIL FROM, RCPT, a 4xx reply, a
connection lost before the server's 354 to DATA) are retried with exponential back-off
(``mail.retries``, ``mail.retry_delay``); permanent ones (5xx) are recorded and listed at
the end as ``path:line: email: reply`` lines of the recipients file, and the exit status
is 1 (a refusal after DATA is journalled ``not-sent``). But once the message has been handed over after DATA, a connection lost (or timed
out) before the server's final reply leaves the outcome unknown: the server may have
queued it. Such an address is never retried: it is journalled as ``unconfirmed``, skipped
by every later run and listed in the report (exit status 1) for the editor to check in the
mail server's log. A journal is locked while its mailing runs, so two runs cannot overlap.

Modules: ``recipients`` reads and checks the CSV, ``journal`` keeps the journal, ``message``
builds each letter, ``smtp`` talks to the server and classifies its replies, ``send`` runs
the mailing and reports.
"""
from __future__ import annotations

from .journal import Journal, JournalLocked
from .recipients import InvalidAddress, Recipient, normalise_address, read_recipients
from .send import Request, run_mail

__all__ = ["InvalidAddress", "Journal", "JournalLocked", "Recipient", "Request", "normalise_address", "read_recipients", "run_mail"]
