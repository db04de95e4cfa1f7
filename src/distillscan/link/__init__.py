"""Stage 4: link accounts that share evidence into groups.

Each account holds evidence tokens (`evidence`); pairs worth comparing are drawn from
windows inside the tokens they must share (`candidates`); the compiled core scores each
pair on the tokens both hold, found by intersecting their sorted token lists, per
family the strongest token (`scoring`); pairs reaching
LINK_THRESHOLD are linked and the groups are the connected components (`groups`).
Accounts whose task items overlap beyond chance link too (`coharvest`), pair by pair
and, for accounts too quiet for any pair to pass, by the signature items of the
groups those pairs form (`attach`). An account left alone that shares a payment
method with someone is attached to them (`cards`), and one that uses two of a group's
own system prompts to that group (`families`), and one that sends two of a group's own
prompt frames to that group (`frames`); none of these ever merges two groups.
No weak family can link two accounts alone; it takes a strong one, or several together.

Memory, beyond the evidence-token table (tokens held by two or more accounts): the
accounts, the token rows as 4-byte numbers, the candidate pairs and the linked pairs
(see `scoring`).
"""

from distillscan.link.candidates import NEIGHBOUR_WINDOW, anchor_kinds, candidate_pairs
from distillscan.link.evidence import evidence_tokens
from distillscan.link.groups import group_id_for, link_accounts
from distillscan.link.scoring import score_pairs
from distillscan.link.worth import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, LINK_THRESHOLD

__all__ = [
    "EVIDENCE_FAMILIES",
    "EVIDENCE_WEIGHTS",
    "LINK_THRESHOLD",
    "NEIGHBOUR_WINDOW",
    "anchor_kinds",
    "candidate_pairs",
    "evidence_tokens",
    "group_id_for",
    "link_accounts",
    "score_pairs",
]
