"""Stage 4: link accounts that share evidence into groups.

Each account holds evidence tokens (`evidence`); pairs worth comparing are drawn from
windows inside the tokens they must share (`candidates`); the tokens each pair shares
are found from the tokens or from the pairs, whichever is cheaper (`shared`); each pair
is scored on them, per family the strongest token (`scoring`); pairs reaching
LINK_THRESHOLD are linked and the groups are the connected components (`groups`).
No weak family can link two accounts alone; it takes a strong one, or several together.

Memory, beyond the evidence-token table (tokens held by two or more accounts): the
accounts, the candidate pairs, one block of pairs' per-family scores and a fixed chunk
of shared (pair, token) rows (see `shared`, `scoring`).
"""

from distillscan.link.candidates import NEIGHBOUR_WINDOW, anchor_kinds, candidate_pairs
from distillscan.link.evidence import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, LINK_THRESHOLD, evidence_tokens
from distillscan.link.groups import group_id_for, link_accounts
from distillscan.link.scoring import score_pairs

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
