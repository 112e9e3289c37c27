"""How Readout says things to people, for every front door (CLI, web, chat): local-time rendering
(``times``) and the honest wording of what did and did not happen (``messages``).

Pure functions over plain values (datetimes, IANA zone names, strings) that return strings or small tuples:
no terminal library, no store, no clock.
"""
