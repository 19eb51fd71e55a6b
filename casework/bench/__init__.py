"""The benchmark behind `manage.py bench` (issue 8): does the gate cost almost nothing at scale?

- `dataset` builds years of data fast, with PostgreSQL COPY (never the ORM row by row);
- `operations` times the pages and services in-process with the Django test client;
- `http` runs gunicorn on loopback and a bounded load generator against the client page;
- `views`/`urls` hold the ungated client page the gate is compared with. That route exists
  only inside the bench process (the command swaps ROOT_URLCONF); production never routes it.

Results and the machine they ran on are recorded in BENCHMARKS.md.
"""
