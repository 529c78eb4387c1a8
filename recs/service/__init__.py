"""The recommendation service (`python -m recs api`): HTTP for the shop's site, online updates, A/B variants.

- `bundle`: what the service needs beside the model files, written at training time (it never opens DuckDB);
- `serving`: the served models, hot-swapped when a newer run is stored;
- `spool`: orders and assignments written durably (fsync) before a 2xx; `spool_import` moves them to the warehouse;
- `online`: the overlay of purchases posted since training and the folded views of the models;
- `experiments`: variants assigned at serving time by a stable hash;
- `core`: the service without HTTP; `http`: the FastAPI app; `schemas`: request and response bodies.
"""
