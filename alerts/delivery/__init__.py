"""Getting alerts out: the courier (order, pace, retries) and the destinations it sends through.

``destination`` is the protocol, ``telegram`` the Bot API (and the operators' commands),
``stdout`` the printing one; ``courier`` drains the outbox into one of them.
"""
