"""The subscribers of the e-mail bulletin, who manage themselves.

The data flows through one module each:

- ``store``: the list in SQLite (statuses, consent evidence, history), the only place it lives;
- ``tokens``: the signed links of the letters (confirm, unsubscribe), no address in them;
- ``letters``: the confirmation letter, sent with the SMTP settings of ``mail``; DKIM signing;
- ``app``: the web service (subscribe with double opt-in, one-click unsubscribe);
- ``bounces``: delivery status notifications and complaints read from the bounce mailbox;
- ``outgoing``: what the mailing (``build.py mail``) takes from here: recipients and their links;
- ``commands``: ``build.py subscriptions serve|import|export|stats|forget|bounces``.
"""
